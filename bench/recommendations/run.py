"""Recommendations benchmark: p50/p95 of each recommendation read with 10,000 products
and 100,000 paid orders.

The tables are filled as the consumer would leave them after 100,000 paid orders
(1-4 products each, popular products more often, 20,000 buyers) and 200,000 views
in 50,000 sessions, but counted here in Python and inserted in bulk, since the
consumer's one transaction per event would take minutes; 5% of the products are
marked deleted or out of stock. Then each read runs --repeat times on random
products and users, as the GraphQL fields call them (reading.py):
  frequentlyBoughtTogether(5), alsoViewed(5), recommendations(10) signed in and anonymous
  (with the one-minute cache of "popular this week" the field uses), and, for
  comparison, the uncached popular query that cache saves.
The goal is p95 under 10 ms per field. On SQLite (a temporary file) and, when
reachable, on a throwaway PostgreSQL database.

    .venv/bin/python bench/recommendations/run.py [--repeat 300]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from itertools import permutations
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from subgraphs.insights.models import (
    CoPurchaseRow,
    CoViewRow,
    DailyPopularityRow,
    ProductStateRow,
    UserProductRow,
)
from subgraphs.insights.recommendations.reading import (
    neighbours,
    personal,
    popular,
    popular_cached,
)
from subgraphs.insights.services import MIGRATIONS, NAME
from subgraphs.platform.cache import InProcessCache
from subgraphs.platform.database import Database
from subgraphs.platform.migrations import upgrade
from subgraphs.platform.settings import Settings

PRODUCTS = 10_000
ORDERS = 100_000
USERS = 20_000
VIEWS = 200_000
SESSIONS = 50_000
TODAY = datetime.now(UTC).date()


def product(rng: random.Random) -> str:
    # A long tail: low numbers are much more popular than high ones.
    return (
        f"p{min(int(rng.paretovariate(1.2)) - 1, PRODUCTS - 1)}"
        if rng.random() < 0.5
        else f"p{rng.randrange(PRODUCTS)}"
    )


def tables() -> dict[type, list[dict[str, object]]]:
    rng = random.Random(7)  # noqa: S311 - reproducible data, not secrets
    co_purchases: Counter[tuple[str, str]] = Counter()
    co_views: Counter[tuple[str, str]] = Counter()
    popularity: Counter[tuple[str, str]] = Counter()
    user_views: Counter[tuple[str, str]] = Counter()
    bought: set[tuple[str, str]] = set()
    for _ in range(ORDERS):
        basket = sorted({product(rng) for _ in range(rng.randint(1, 4))})
        user = f"u{rng.randrange(USERS)}"
        day = (TODAY - timedelta(days=rng.randrange(30))).isoformat()
        co_purchases.update(permutations(basket, 2))
        popularity.update((day, p) for p in basket)
        bought.update((user, p) for p in basket)
    seen: dict[str, set[str]] = {}
    for _ in range(VIEWS):
        session = f"s{rng.randrange(SESSIONS)}"
        viewed = product(rng)
        viewer = f"u{rng.randrange(USERS)}" if rng.random() < 0.4 else None
        popularity[((TODAY - timedelta(days=rng.randrange(30))).isoformat(), viewed)] += 1
        if viewer:
            user_views[(viewer, viewed)] += 1
        earlier = seen.setdefault(session, set())
        if viewed not in earlier:
            for other in earlier:
                co_views[(viewed, other)] += 1
                co_views[(other, viewed)] += 1
            earlier.add(viewed)
    users = set(user_views) | bought
    now = datetime.now(UTC)
    return {
        CoPurchaseRow: [
            {"product_id": a, "other_id": b, "orders": n} for (a, b), n in co_purchases.items()
        ],
        CoViewRow: [
            {"product_id": a, "other_id": b, "sessions": n} for (a, b), n in co_views.items()
        ],
        DailyPopularityRow: [
            {"day": d, "product_id": p, "score": n} for (d, p), n in popularity.items()
        ],
        UserProductRow: [
            {"user_id": u, "product_id": p, "views": user_views[(u, p)], "bought": (u, p) in bought}
            for u, p in users
        ],
        ProductStateRow: [
            {
                "product_id": f"p{n}",
                "deleted": n % 40 == 3,
                "in_stock": n % 40 != 7,
                "changed_at": now,
            }
            for n in range(PRODUCTS)
        ],
    }


async def fill(database: Database, rows: dict[type, list[dict[str, object]]]) -> None:
    await upgrade(database, MIGRATIONS)
    async with database.session() as session:
        for table, values in rows.items():
            for start in range(0, len(values), 5000):
                await session.execute(insert(table), values[start : start + 5000])


async def timed(call: Callable[[], Awaitable[object]], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[min(int(0.95 * len(samples)), len(samples) - 1)]


async def measure(label: str, database: Database, repeat: int) -> None:
    rng = random.Random(9)  # noqa: S311 - reproducible data, not secrets
    cache = InProcessCache()  # the fields keep "popular this week" here for a minute
    reads: dict[str, Callable[[], Awaitable[object]]] = {
        "frequentlyBoughtTogether(5)": lambda: neighbours(database, "bought", [product(rng)], 5),
        "alsoViewed(5)": lambda: neighbours(database, "viewed", [product(rng)], 5),
        "recommendations(10) signed in": lambda: personal(
            database, f"u{rng.randrange(USERS)}", 10, TODAY, cache
        ),
        "recommendations(10) anonymous": lambda: popular_cached(cache, database, 10, TODAY),
        "popular this week, uncached": lambda: popular(database, 10, TODAY),
    }
    for name, call in reads.items():
        await call()  # warm-up
        p50, p95 = await timed(call, repeat)
        print(f"  {label:<10} {name:<32} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")


async def on_postgres(url: str, rows: dict[type, list[dict[str, object]]], repeat: int) -> None:
    admin = make_url(url)
    name = f"bench_recs_{secrets.token_hex(4)}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        connection = await asyncpg.connect(dsn)
    except OSError as error:
        print(f"  PostgreSQL skipped: {error}")
        return
    await connection.execute(f'CREATE DATABASE "{name}"')
    try:
        settings = Settings(
            database_url=admin.set(database=name).render_as_string(hide_password=False)
        )
        database = Database(settings, NAME)
        try:
            await fill(database, rows)
            await measure("PostgreSQL", database, repeat)
        finally:
            await database.close()
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    began = time.perf_counter()
    rows = tables()
    print(
        f"{ORDERS:,} orders and {VIEWS:,} views over {PRODUCTS:,} products counted in "
        f"{time.perf_counter() - began:.1f} s: "
        + ", ".join(f"{table.__tablename__} {len(values):,}" for table, values in rows.items())  # type: ignore[attr-defined]
    )
    with tempfile.TemporaryDirectory() as directory:
        database = Database(Settings(data_dir=Path(directory)), NAME)
        try:
            await fill(database, rows)
            await measure("SQLite", database, args.repeat)
        finally:
            await database.close()
    await on_postgres(args.postgres_url, rows, args.repeat)


if __name__ == "__main__":
    asyncio.run(main())
