"""Router benchmark: requests/s and p50/p99 latency, through the router versus direct.

Starts the bench subgraphs (one uvicorn process) and the router (another),
then drives both from this process over loopback with aiohttp:
  (a) one subgraph:    { topProducts { upc name price } }
  (b) two entity jumps over three subgraphs:
                       { topProducts { name reviews { body author { name } } } }
  (c) the large query: five levels through users, reviews and products, every
      subgraph, @requires, a ~100 KB answer (queries.LARGE); router only.
"Direct" sends the same work straight to the subgraphs: for (b) the three
requests the router's plan makes, one after another, as a client would have to.
The router's caches are warm (cached plan), so (a)'s p50 difference is the
router's own overhead per request.

    python bench/router/run.py [--requests 3000] [--seconds 20] [--concurrency 1,32]
                               [--ports SUBGRAPHS,ROUTER]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import queries
from load import Result, Send, measure

from shopgraph.loopback import free_port

HERE = Path(__file__).parent
ENTITIES = "query($representations:[_Any!]!){_entities(representations:$representations)"


def wait_for(url: str, seconds: float = 30) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback URL built here
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


async def post(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> Any:
    async with session.post(
        url, data=orjson.dumps(body), headers={"content-type": "application/json"}
    ) as response:
        payload = orjson.loads(await response.read())
        if response.status != 200 or payload.get("errors"):
            return None
        return payload["data"]


def router_send(url: str, query: str) -> Send:
    async def send(session: aiohttp.ClientSession) -> bool:
        return await post(session, url, {"query": query}) is not None

    return send


def direct_one(base: str) -> Send:
    async def send(session: aiohttp.ClientSession) -> bool:
        query = "{ topProducts { upc name price } }"
        return await post(session, f"{base}/products", {"query": query}) is not None

    return send


def direct_three(base: str) -> Send:
    """What the plan does for (b), done by the client: three requests in a row."""

    async def send(session: aiohttp.ClientSession) -> bool:
        top = await post(
            session, f"{base}/products", {"query": "{ topProducts { name __typename upc } }"}
        )
        if top is None:
            return False
        products = [{"__typename": "Product", "upc": p["upc"]} for p in top["topProducts"]]
        query = ENTITIES + "{... on Product{reviews{body author{__typename id}}}}}"
        found = await post(
            session, f"{base}/reviews", {"query": query, "variables": {"representations": products}}
        )
        if found is None:
            return False
        authors = {r["author"]["id"] for e in found["_entities"] for r in e["reviews"]}
        users = [{"__typename": "User", "id": i} for i in sorted(authors)]
        query = ENTITIES + "{... on User{name}}}"
        named = await post(
            session, f"{base}/users", {"query": query, "variables": {"representations": users}}
        )
        return named is not None

    return send


def row(label: str, concurrency: int, result: Result) -> str:
    return (
        f"{label:<36} {concurrency:>4} {result.requests:>7} {result.failures:>5} "
        f"{result.rate:>9.0f} {result.percentile(50):>8.2f} {result.percentile(99):>8.2f}"
    )


async def bench(args: argparse.Namespace, router_url: str, base: str) -> None:
    async with aiohttp.ClientSession() as session:
        check = await post(session, router_url, {"query": queries.TWO_JUMPS})
        large = await post(session, router_url, {"query": queries.LARGE})
    print("router answer for (b), first product:", orjson.dumps(check["topProducts"][0]).decode())
    if large is None:
        raise SystemExit("the router answered (c) with errors")
    print(f"router answer for (c): {len(orjson.dumps({'data': large}))} bytes")
    scenarios: list[tuple[str, Send | None, Send]] = [
        ("(a) one subgraph", direct_one(base), router_send(router_url, queries.SMALL)),
        (
            "(b) two jumps, 3 subgraphs",
            direct_three(base),
            router_send(router_url, queries.TWO_JUMPS),
        ),
        ("(c) large, 4 subgraphs", None, router_send(router_url, queries.LARGE)),
    ]
    header = (
        f"{'scenario / target':<36} {'conc':>4} {'reqs':>7} {'fail':>5} "
        f"{'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for concurrency in args.concurrency:
        for name, direct, routed in scenarios:
            options = {
                "requests": args.requests,
                "seconds": args.seconds,
                "concurrency": concurrency,
            }
            if direct is None:
                print(row(f"{name} router", concurrency, await measure(routed, **options)))
                continue
            straight = await measure(direct, **options)
            through = await measure(routed, **options)
            print(row(f"{name} direct", concurrency, straight))
            print(row(f"{name} router", concurrency, through))
            overhead = through.percentile(50) - straight.percentile(50)
            print(f"{'':<36} {'':>4} router adds {overhead:.2f} ms at p50")
        print()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000, help="per scenario and target")
    parser.add_argument("--seconds", type=float, default=20.0, help="cap per scenario and target")
    parser.add_argument(
        "--concurrency", type=lambda s: [int(c) for c in s.split(",")], default=[1, 32]
    )
    parser.add_argument(
        "--ports",
        type=lambda s: [int(p) for p in s.split(",")],
        help="SUBGRAPHS,ROUTER ports to listen on (default: free ones)",
    )
    args = parser.parse_args()

    subgraph_port, router_port = args.ports or (free_port(), free_port())
    base = f"http://127.0.0.1:{subgraph_port}"
    router_url = f"http://127.0.0.1:{router_port}/graphql"
    server_options = [
        "--host",
        "127.0.0.1",
        "--log-level",
        "warning",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
    ]
    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and scripts
            [
                sys.executable,
                "-m",
                "uvicorn",
                "subgraphs:app",
                "--app-dir",
                str(HERE),
                "--port",
                str(subgraph_port),
                *server_options,
            ]
        ),
        subprocess.Popen(  # noqa: S603 - our own interpreter and scripts
            [
                sys.executable,
                str(HERE / "serve_router.py"),
                "--port",
                str(router_port),
                "--subgraphs",
                base,
            ]
        ),
    ]
    try:
        wait_for(f"{base}/ping")
        wait_for(f"http://127.0.0.1:{router_port}/readyz")
        print(f"python {sys.version.split()[0]}, subgraphs and router each in one uvicorn process")
        asyncio.run(bench(args, router_url, base))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
