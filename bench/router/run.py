"""Router benchmark: requests/s and p50/p99 latency, through the router versus direct.

Starts the bench subgraphs (one uvicorn process) and the router (another),
then drives both from this process over loopback with aiohttp:
  (a) one subgraph:    { topProducts { upc name price } }
      ... signed in: the same with a bearer token, which the router verifies
      and forwards, as with every request of a signed-in customer
  (b) two entity jumps over three subgraphs:
                       { topProducts { name reviews { body author { name } } } }
  (c) the large query: five levels through users, reviews and products, every
      subgraph, @requires, a ~100 KB answer (queries.LARGE); router only.
"Direct" sends the same work straight to the subgraphs: for (b) the three
requests the router's plan makes, one after another, as a client would have to.
The router's caches are warm (cached plan), so (a)'s p50 difference is the
router's own overhead per request. "router CPU" is the CPU time the router
process spent per request (from /proc, warm-up included): a busy machine
blurs it far less than latency.

    python bench/router/run.py [--requests 3000] [--seconds 20] [--concurrency 1,32]
                               [--ports SUBGRAPHS,ROUTER]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import orjson
import queries
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from load import WARM_UP, Result, Send, measure

# The CPU seconds of a process, read as the checkout bench reads them.
sys.path.insert(0, str(Path(__file__).parents[1] / "checkout"))
from cpu import cpu_seconds  # type: ignore[import-not-found]  # on sys.path from the line above

from shopgraph.loopback import free_port

HERE = Path(__file__).parent
SERVER_OPTIONS = (
    *("--host", "127.0.0.1", "--log-level", "warning"),
    *("--loop", "uvloop", "--http", "httptools"),
)
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


async def post(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any], token: str | None = None
) -> Any:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    async with session.post(url, data=orjson.dumps(body), headers=headers) as response:
        payload = orjson.loads(await response.read())
        if response.status != 200 or payload.get("errors"):
            return None
        return payload["data"]


def router_send(url: str, query: str, token: str | None = None) -> Send:
    async def send(session: aiohttp.ClientSession) -> bool:
        return await post(session, url, {"query": query}, token) is not None

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


def row(label: str, concurrency: int, result: Result, cpu_ms: float | None = None) -> str:
    cpu = f"{cpu_ms:>11.3f}" if cpu_ms is not None else f"{'':>11}"
    return (
        f"{label:<36} {concurrency:>4} {result.requests:>7} {result.failures:>5} "
        f"{result.rate:>9.0f} {result.percentile(50):>8.2f} {result.percentile(99):>8.2f}{cpu}"
    )


async def measure_router(send: Send, router_pid: int, **options: Any) -> tuple[Result, float]:
    """The result, and the router process's CPU milliseconds per request (warm-up included)."""
    before = cpu_seconds(router_pid)
    result = await measure(send, **options)
    return result, 1000 * (cpu_seconds(router_pid) - before) / (result.requests + WARM_UP)


def signed_token(key: Ed25519PrivateKey) -> str:
    claims = {"sub": "u1", "role": "CUSTOMER", "exp": int(time.time()) + 3600}
    return jwt.encode(claims, key, algorithm="EdDSA")


async def bench(
    args: argparse.Namespace, router_url: str, base: str, router_pid: int, token: str
) -> None:
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
            "(a) ... signed in",
            direct_one(base),
            router_send(router_url, queries.SMALL, token),
        ),
        (
            "(b) two jumps, 3 subgraphs",
            direct_three(base),
            router_send(router_url, queries.TWO_JUMPS),
        ),
        ("(c) large, 4 subgraphs", None, router_send(router_url, queries.LARGE)),
    ]
    header = (
        f"{'scenario / target':<36} {'conc':>4} {'reqs':>7} {'fail':>5} "
        f"{'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'router CPU':>10}"
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
                through, cpu = await measure_router(routed, router_pid, **options)
                print(row(f"{name} router", concurrency, through, cpu))
                continue
            straight = await measure(direct, **options)
            through, cpu = await measure_router(routed, router_pid, **options)
            print(row(f"{name} direct", concurrency, straight))
            print(row(f"{name} router", concurrency, through, cpu))
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
    key = Ed25519PrivateKey.generate()
    public_key = Path(tempfile.mkdtemp(prefix="shopgraph-bench-router-")) / "jwt.pem"
    public_key.write_bytes(
        key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    base = f"http://127.0.0.1:{subgraph_port}"
    router_url = f"http://127.0.0.1:{router_port}/graphql"
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
                *SERVER_OPTIONS,
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
                "--jwt-public-key",
                str(public_key),
            ]
        ),
    ]
    try:
        wait_for(f"{base}/ping")
        wait_for(f"http://127.0.0.1:{router_port}/readyz")
        print(f"python {sys.version.split()[0]}, subgraphs and router each in one uvicorn process")
        asyncio.run(bench(args, router_url, base, processes[1].pid, signed_token(key)))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
        public_key.unlink()
        public_key.parent.rmdir()


if __name__ == "__main__":
    main()
