"""Catalog benchmark: p50/p95 of `products(first: 50)` and `searchProducts` on 10,000 products.

For each backend this machine offers:
  sqlite      catalog and its search index (FTS5) in an embedded SQLite file
  postgres    catalog and its search index (full text + trigrams) in a throwaway
              PostgreSQL database, created here and dropped at the end
  opensearch  search on osmem-server (OpenSearch protocol) on a loopback port, the
              catalog rows on SQLite; products() does not touch search, so only
              searchProducts is measured there
it bulk-inserts N products grown from the demo catalog, indexes them, serves the
catalog subgraph's ASGI app with uvicorn on a loopback port in this process, and
sends it sequential GraphQL requests over HTTP with aiohttp (one connection, one
request at a time, bounded by --requests and --seconds per operation):
  { __typename }             HTTP + GraphQL with no resolver work: the baseline
  products(first: 50)        newest first, with totalCount and page info
  searchProducts(first: 20)  with facets, cycling through SEARCHES, typo included
Latency runs from sending a request to its last byte received. "over floor" is
an operation's p50 minus the same backend's { __typename } p50: what the
operation itself costs. A backend that is unreachable is skipped with the reason.

    .venv/bin/python bench/catalog/run.py [--products 10000] [--requests 300] [--seconds 12]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import aiohttp
import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from shelf import fill
from sqlalchemy.engine import make_url
from timing import Timings, bodies, measure, post

from shopgraph.loopback import free_port, served
from subgraphs.catalog.app import create_app
from subgraphs.catalog.settings import CatalogSettings
from subgraphs.platform.settings import Settings

NODE = "node { id name price { amount currency } inStock category { name } }"
FLOOR = "{ __typename }"
PRODUCTS = (
    f"{{ products(first: 50) {{ totalCount edges {{ cursor {NODE} }} "
    "pageInfo { hasNextPage endCursor } } }"
)
SEARCH = (
    "query Search($text: String!) { searchProducts(query: $text, first: 20) { totalCount "
    f"edges {{ cursor {NODE} }} facets {{ name values {{ value label count }} }} "
    "pageInfo { hasNextPage endCursor } } }"
)
SEARCHES = (
    "running shoes",
    "runing shoes",
    "wool blanket",
    "cast iron",
    "wireless headphones",
    "tent",
)
OPERATIONS = {
    "{ __typename }": bodies(FLOOR),
    "products(first: 50)": bodies(PRODUCTS),
    "searchProducts(first: 20)": bodies(SEARCH, [{"text": text} for text in SEARCHES]),
}
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


class Unavailable(Exception):
    """A backend this run cannot use; it is skipped with this reason."""


@dataclass(frozen=True)
class Credentials:
    """Outside embedded mode the platform wants a signing key and a service token."""

    jwt_private_key: str
    service_token: str

    @classmethod
    def generate(cls) -> Credentials:
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cls(pem.decode(), secrets.token_urlsafe(32))

    def settings(
        self,
        data_dir: Path,
        database_url: str | None = None,
        search_backend: Literal["database", "opensearch"] = "database",
        search_url: str | None = None,
    ) -> Configured:
        platform = Settings(
            data_dir=data_dir,
            database_url=database_url,
            redis_url=None,  # in-process cache: only the catalog's own backends are measured
            jwt_private_key=self.jwt_private_key,
            service_token=self.service_token,
        )
        return platform, CatalogSettings(search_backend=search_backend, search_url=search_url)


# The platform's settings and the catalog's own.
Configured = tuple[Settings, CatalogSettings]
Opener = Callable[[Path], AbstractAsyncContextManager[Configured]]


@dataclass(frozen=True)
class Backend:
    name: str
    open: Opener
    operations: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    backend: str
    operation: str
    timings: Timings


def sqlite(credentials: Credentials) -> Opener:
    @asynccontextmanager
    async def open_sqlite(data_dir: Path) -> AsyncIterator[Configured]:
        yield credentials.settings(data_dir)

    return open_sqlite


def postgres(credentials: Credentials, admin_url: str) -> Opener:
    admin = make_url(admin_url)
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)

    async def execute(sql: str) -> None:
        connection = await asyncpg.connect(dsn, timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    @asynccontextmanager
    async def open_postgres(data_dir: Path) -> AsyncIterator[Configured]:
        name = f"shopgraph_bench_{secrets.token_hex(4)}"
        try:
            await execute(f'CREATE DATABASE "{name}"')
        except (OSError, TimeoutError, asyncpg.PostgresError) as error:
            where = f"{admin.host}:{admin.port or 5432}"
            raise Unavailable(f"PostgreSQL at {where}: {type(error).__name__}: {error}") from error
        try:
            url = admin.set(database=name).render_as_string(hide_password=False)
            yield credentials.settings(data_dir, database_url=url)
        finally:
            await execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return open_postgres


def opensearch(credentials: Credentials) -> Opener:
    @asynccontextmanager
    async def open_opensearch(data_dir: Path) -> AsyncIterator[Configured]:
        try:
            from osmem_server import (  # type: ignore[import-untyped]  # ships no hints
                OsmemError,
                OsmemServer,
            )
        except ImportError as error:
            raise Unavailable("osmem-server is not installed (pip install osmem-server)") from error
        address = f"127.0.0.1:{free_port()}"
        try:
            server = await asyncio.to_thread(OsmemServer.start, addr=address, japanese=False)
        except (OsmemError, OSError) as error:
            raise Unavailable(f"osmem-server did not start: {error}") from error
        try:
            yield credentials.settings(
                data_dir, search_backend="opensearch", search_url=str(server.url)
            )
        finally:
            await asyncio.to_thread(server.close)

    return open_opensearch


async def show_workload(session: aiohttp.ClientSession, url: str, name: str, count: int) -> None:
    """Prints what the measured requests find, and refuses a shelf that is not all there."""
    listed = await post(session, url, OPERATIONS["products(first: 50)"][0])
    total = listed["products"]["totalCount"]
    if total != count:
        raise RuntimeError(f"{name}: products() counts {total} products, expected {count}")
    found = []
    for text, body in zip(SEARCHES, OPERATIONS["searchProducts(first: 20)"], strict=True):
        result = (await post(session, url, body))["searchProducts"]
        top = result["edges"][0]["node"]["name"] if result["edges"] else "-"
        found.append(f"{text!r} {result['totalCount']} ({top})")
    print(f"  hits: {'; '.join(found)}")


async def bench_backend(backend: Backend, args: argparse.Namespace) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix=f"shopgraph-bench-{backend.name}-") as directory:
        async with backend.open(Path(directory)) as (settings, catalog):
            shelf = await fill(settings, catalog, args.products)
            print(
                f"{backend.name}: {shelf.products} products inserted in "
                f"{shelf.insert_seconds:.1f} s, indexed in {shelf.index_seconds:.1f} s"
            )
            port = free_port()
            async with (
                served(create_app(settings, catalog=catalog), port) as base,
                aiohttp.ClientSession() as session,
            ):
                url = f"{base}/graphql"
                await show_workload(session, url, backend.name, args.products)
                rows = []
                for operation in backend.operations:
                    timings = await measure(
                        session,
                        url,
                        OPERATIONS[operation],
                        count=args.requests,
                        seconds=args.seconds,
                    )
                    rows.append(Row(backend.name, operation, timings))
    return rows


def table(rows: list[Row]) -> str:
    header = (
        f"{'backend':<11} {'operation':<26} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'req/s':>7} {'p50 over floor':>15}"
    )
    lines = [header, "-" * len(header)]
    floors = {r.backend: r.timings.percentile(50) for r in rows if r.operation == "{ __typename }"}
    for r in rows:
        p50 = r.timings.percentile(50)
        over = "" if r.operation == "{ __typename }" else f"{p50 - floors[r.backend]:+.2f} ms"
        lines.append(
            f"{r.backend:<11} {r.operation:<26} {r.timings.requests:>8} {p50:>8.2f} "
            f"{r.timings.percentile(95):>8.2f} {r.timings.rate:>7.0f} {over:>15}"
        )
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> None:
    credentials = Credentials.generate()
    every = tuple(OPERATIONS)
    backends = (
        Backend("sqlite", sqlite(credentials), every),
        Backend("postgres", postgres(credentials, args.postgres_url), every),
        Backend(
            "opensearch",
            opensearch(credentials),
            ("{ __typename }", "searchProducts(first: 20)"),
        ),
    )
    print(
        f"python {platform.python_version()} on {os.cpu_count()} cpus; {args.products} products; "
        f"up to {args.requests} sequential requests or {args.seconds:g} s per operation"
    )
    rows: list[Row] = []
    skipped: list[str] = []
    for backend in backends:
        try:
            rows += await bench_backend(backend, args)
        except Unavailable as reason:
            print(f"{backend.name}: skipped, {reason}")
            skipped.append(f"{backend.name} skipped: {reason}")
    print()
    print(table(rows))
    print(f"searchProducts cycles through: {', '.join(repr(text) for text in SEARCHES)}")
    for line in skipped:
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--products", type=int, default=10_000, help="products on the shelf")
    parser.add_argument("--requests", type=int, default=300, help="per backend and operation")
    parser.add_argument("--seconds", type=float, default=12.0, help="cap per backend and operation")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("SHOPGRAPH_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="an existing database to connect to while creating the throwaway one",
    )
    args = parser.parse_args()
    if args.products < 1 or args.requests < 1:
        sys.exit("--products and --requests must be at least 1")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
