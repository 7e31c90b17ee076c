"""Social benchmark: the product listing with ratings and reviews, through the router.

On a throwaway PostgreSQL database (`shopgraph_social_bench_<first port>`, so
runs on other ports do not meet; dropped at the end) it COPYs N products, M
customers and R reviews (shop.py), serves the users, catalog and social
subgraphs and the router on loopback ports in this process, and sends the
router sequential GraphQL requests over HTTP with aiohttp (one connection, one
request at a time):

  { __typename }              the router alone: the floor
  products(first: 20) names   catalog only, through the router: the baseline
    + ratings                 ... with averageRating and reviewCount (social)
    + 3 reviews each          ... and their first 3 reviews (social)
  the listing                 20 products with averageRating, reviewCount and
                              their first 3 reviews with the author's username:
                              catalog, then social, then users

Each request but the floor asks for another page of the catalog (the runner
walks the first pages beforehand and cycles their cursors), so the measured
requests touch many products rather than the same 20. "over baseline" is a p50
minus the baseline's: what the ratings, reviews and authors add. Goal: the
listing's p95 under 30 ms. A second table gives the CPU milliseconds each
server spent per request (cpu.py): on a busy machine, compare those.

    .venv/bin/python bench/social/run.py [--products 10000] [--customers 2000]
        [--reviews 200000] [--requests 500] [--seconds 30] [--first-port 23000]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import aiohttp
import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
from cpu import CpuMeter
from shop import fill
from sqlalchemy.engine import make_url

# The timing helpers of the catalog bench: one way of timing for every bench.
sys.path.insert(0, str(Path(__file__).parents[1] / "catalog"))
from timing import WARM_UP, Timings, bodies, measure, post

from router.config import RouterConfig
from router.http import create_router_app
from shopgraph.loopback import served
from shopgraph.registry import SUBGRAPHS, SubgraphEntry
from shopgraph.supergraph import compose_subgraphs
from subgraphs.platform.settings import Settings

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SERVED = ("users", "catalog", "social")  # commerce is in the supergraph but never asked
PAGES = 50

FLOOR = "{ __typename }"
BASELINE = """query Page($after: String) {
  products(first: 20, after: $after) { edges { node { id name } } }
}"""
RATINGS = """query Page($after: String) {
  products(first: 20, after: $after) { edges { node { id name averageRating reviewCount } } }
}"""
NO_AUTHORS = """query Page($after: String) {
  products(first: 20, after: $after) { edges { node {
    id name averageRating reviewCount reviews(first: 3) { edges { node { rating comment } } }
  } } }
}"""
LISTING = """query Page($after: String) {
  products(first: 20, after: $after) { edges { node {
    id name averageRating reviewCount
    reviews(first: 3) { edges { node { rating comment author { username } } } }
  } } }
}"""
WALK = """query Walk($after: String) {
  products(first: 20, after: $after) { pageInfo { endCursor } }
}"""


@asynccontextmanager
async def bench_database(admin_url: str, first_port: int) -> AsyncIterator[str]:
    database = f"shopgraph_social_bench_{first_port}"
    admin = make_url(admin_url)
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        # A run that died halfway leaves its database: start from nothing.
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{database}"')
        try:
            yield admin.set(database=database).render_as_string(hide_password=False)
        finally:
            await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


def settings_for(database_url: str, data_dir: Path) -> Settings:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        jwt_private_key=pem.decode(),
        service_token="a-bench-service-token-of-at-least-32-characters",  # noqa: S106 - a throwaway bench secret
    )


async def cursors(session: aiohttp.ClientSession, url: str) -> list[str | None]:
    """The `after` of the first PAGES pages of products, newest first."""
    found: list[str | None] = [None]
    while len(found) < PAGES:
        data = await post(session, url, bodies(WALK, [{"after": found[-1]}])[0])
        end = data["products"]["pageInfo"]["endCursor"]
        if end is None:
            break
        found.append(end)
    return found


async def show_workload(session: aiohttp.ClientSession, url: str) -> None:
    data = await post(session, url, bodies(LISTING)[0])
    nodes = [edge["node"] for edge in data["products"]["edges"]]
    reviews = sum(len(node["reviews"]["edges"]) for node in nodes)
    counts = [node["reviewCount"] for node in nodes]
    print(
        f"  first page: {len(nodes)} products, {min(counts)}-{max(counts)} reviews each, "
        f"{reviews} reviews shown, e.g. {nodes[0]['name']!r} rated {nodes[0]['averageRating']} "
        f"by {nodes[0]['reviewCount']}, first review by "
        f"{nodes[0]['reviews']['edges'][0]['node']['author']['username']!r}"
    )


async def run(args: argparse.Namespace) -> None:
    print(
        f"python {platform.python_version()} on {os.cpu_count()} cpus; {args.products} products, "
        f"{args.customers} customers, {args.reviews} reviews on PostgreSQL; up to "
        f"{args.requests} sequential requests or {args.seconds:g} s per operation"
    )
    with tempfile.TemporaryDirectory(prefix="shopgraph-bench-social-") as directory:
        async with bench_database(args.postgres_url, args.first_port) as database_url:
            settings = settings_for(database_url, Path(directory))
            shop = await fill(settings, args.products, args.customers, args.reviews)
            print(f"  shop COPYed and analysed in {shop.seconds:.1f} s")
            # The router on --first-port, the served subgraphs on the next ones; the
            # rest (never asked) on the port after those, where nothing listens.
            router_port = args.first_port
            ports = {name: router_port + 1 + n for n, name in enumerate(SERVED)}
            unserved = router_port + 1 + len(SERVED)

            def url_of(entry: SubgraphEntry) -> str:
                return f"http://127.0.0.1:{ports.get(entry.name, unserved)}/graphql"

            router = create_router_app(compose_subgraphs(url_of), RouterConfig())
            meter = CpuMeter()
            async with AsyncExitStack() as stack:
                for name in SERVED:
                    app = meter.wrap(name, SUBGRAPHS[name].create_app(settings))
                    await stack.enter_async_context(served(app, ports[name]))
                base = await stack.enter_async_context(
                    served(meter.wrap("router", router), router_port)
                )
                session = await stack.enter_async_context(aiohttp.ClientSession())
                url = f"{base}/graphql"
                await show_workload(session, url)
                pages = [{"after": after} for after in await cursors(session, url)]
                rows: list[tuple[str, Timings]] = []
                costs: list[tuple[str, dict[str, float]]] = []
                for name, requests in (
                    ("{ __typename }", bodies(FLOOR)),
                    ("products(first: 20) names", bodies(BASELINE, pages)),
                    ("  + ratings", bodies(RATINGS, pages)),
                    ("  + 3 reviews each", bodies(NO_AUTHORS, pages)),
                    ("the listing", bodies(LISTING, pages)),
                ):
                    meter.reset()
                    timings = await measure(
                        session, url, requests, count=args.requests, seconds=args.seconds
                    )
                    rows.append((name, timings))
                    costs.append((name, meter.per_request("router", timings.requests + WARM_UP)))
    print()
    print(table(rows))
    print()
    print(cpu_table(costs))


def table(rows: list[tuple[str, Timings]]) -> str:
    header = (
        f"{'operation (through the router)':<32} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'req/s':>7} {'p50 over baseline':>18}"
    )
    lines = [header, "-" * len(header)]
    baseline = dict(rows)["products(first: 20) names"].percentile(50)
    for name, timings in rows:
        p50 = timings.percentile(50)
        over = f"{p50 - baseline:+.2f} ms" if timings is not rows[0][1] and p50 > baseline else ""
        lines.append(
            f"{name:<32} {timings.requests:>8} {p50:>8.2f} {timings.percentile(95):>8.2f} "
            f"{timings.rate:>7.0f} {over:>18}"
        )
    listing = dict(rows)["the listing"].percentile(95)
    verdict = "met" if listing < 30 else "NOT met"
    lines.append(f"goal: the listing's p95 under 30 ms: {verdict} ({listing:.2f} ms)")
    return "\n".join(lines)


def cpu_table(costs: list[tuple[str, dict[str, float]]]) -> str:
    """CPU ms per request by server: figures a busy machine blurs far less than latency."""
    servers = ("router", *SERVED)
    header = f"{'CPU ms per request (this process)':<34}" + "".join(f"{s:>9}" for s in servers)
    lines = [header + f"{'total':>9}", "-" * (len(header) + 9)]
    for name, cost in costs:
        cells = "".join(f"{cost.get(s, 0.0):>9.2f}" for s in servers)
        lines.append(f"{name:<34}{cells}{sum(cost.values()):>9.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--reviews", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=500, help="per operation")
    parser.add_argument("--seconds", type=float, default=30.0, help="cap per operation")
    parser.add_argument(
        "--first-port",
        type=int,
        default=int(os.environ.get("SHOPGRAPH_BENCH_FIRST_PORT", "23000")),
        help=f"the router listens here, {', '.join(SERVED)} on the next ports",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("SHOPGRAPH_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="an existing database to connect to while creating the bench's own",
    )
    args = parser.parse_args()
    if min(args.products, args.customers, args.reviews, args.requests) < 1:
        sys.exit("every count must be at least 1")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
