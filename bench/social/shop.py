"""The benchmark's shop: N products, M customers and R reviews, COPYed into PostgreSQL.

Rows go straight into the catalog, users and social tables with asyncpg's COPY,
without outbox events, and the social aggregates are computed here from the
generated reviews, as the review mutations would have kept them. Every
customer reviews R / M distinct products; ratings, helpful counts and times
come from a seeded random generator, so two runs build the same shop.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
from sqlalchemy.engine import make_url

from subgraphs.catalog.services import migrate as migrate_catalog
from subgraphs.platform.settings import Settings
from subgraphs.social.services import migrate as migrate_social
from subgraphs.users.services import migrate as migrate_users

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
NAMESPACE = uuid.UUID("5a1f0c3e-7b2d-4e9f-8a6c-2d4e6f8a0b1c")
COMMENTS = (
    "Does what it says.",
    "Sturdy, well made, arrived quickly.",
    "Smaller than I expected but works fine.",
    "Would buy again; my second one already.",
    "Not for me. The colour was off.",
)
# A product's step between reviewers: coprime with any product count that is not a
# multiple of 97, so one customer's products are all different.
STRIDE = 97


@dataclass(frozen=True)
class Shop:
    products: int
    customers: int
    reviews: int
    seconds: float


def _id(kind: str, position: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{position}"))


async def fill(settings: Settings, products: int, customers: int, reviews: int) -> Shop:
    if products % STRIDE == 0 or reviews // customers > products:
        raise ValueError("choose a product count that is not a multiple of 97 and enough products")
    for migrate in (migrate_catalog, migrate_users, migrate_social):
        await migrate(settings)
    started = time.perf_counter()
    url = make_url(settings.database_url or "")
    connection = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
    try:
        await _catalog(connection, products)
        await _users(connection, customers)
        await _social(connection, products, customers, reviews)
        for table in ("catalog.products", "users.users", "social.products", "social.reviews"):
            await connection.execute(f"ANALYZE {table}")
    finally:
        await connection.close()
    return Shop(products, customers, reviews, time.perf_counter() - started)


async def _catalog(connection: asyncpg.Connection, count: int) -> None:
    category = _id("category", 0)
    await connection.copy_records_to_table(
        "categories", schema_name="catalog", records=[(category, "Everything", "everything")]
    )
    records = []
    for position in range(count):
        created = EPOCH + timedelta(minutes=position)
        price = Decimal(10 + position % 90) + Decimal("0.90")
        description = f"Product number {position}, for the benchmark."
        records.append(
            (
                _id("product", position),
                f"Product {position}",
                description,
                price,
                "USD",
                10 + position % 20,
                category,
                created,
                created,
                None,
            )
        )
    columns = ["id", "name", "description", "price_amount", "currency", "stock"]
    columns += ["category_id", "created_at", "updated_at", "deleted_at"]
    await connection.copy_records_to_table(
        "products", schema_name="catalog", records=records, columns=columns
    )


async def _users(connection: asyncpg.Connection, count: int) -> None:
    # Nobody signs in during the bench: a hash that matches no password is enough.
    records = [
        (
            _id("user", n),
            f"customer{n}",
            f"customer{n}",
            f"c{n}@bench.example",
            f"c{n}@bench.example",
            "not-a-hash",
            "CUSTOMER",
            EPOCH,
        )
        for n in range(count)
    ]
    columns = ["id", "username", "username_key", "email", "email_key"]
    columns += ["password_hash", "role", "created_at"]
    await connection.copy_records_to_table(
        "users", schema_name="users", records=records, columns=columns
    )


async def _social(
    connection: asyncpg.Connection, products: int, customers: int, reviews: int
) -> None:
    draw = random.Random(12)  # noqa: S311 - benchmark data, not security
    per_customer = reviews // customers
    stars = [[0] * 5 for _ in range(products)]
    # id, product, author, rating, comment, status, helpful votes, verified, created, updated
    records: list[tuple[object, ...]] = []
    for customer in range(customers):
        author = _id("user", customer)
        for k in range(per_customer):
            product = (customer * 7919 + k * STRIDE) % products
            rating = draw.choices((1, 2, 3, 4, 5), weights=(1, 1, 2, 4, 5))[0]
            stars[product][rating - 1] += 1
            created = EPOCH + timedelta(days=30, seconds=len(records) * 13)
            records.append(
                (
                    _id("review", len(records)),
                    _id("product", product),
                    author,
                    rating,
                    draw.choice(COMMENTS),
                    "PUBLISHED",
                    draw.randrange(12),
                    draw.random() < 0.3,
                    created,
                    created,
                )
            )
    aggregates = [
        (_id("product", p), None, sum(s), sum(n * (i + 1) for i, n in enumerate(s)), *s)
        for p, s in enumerate(stars)
    ]
    await connection.copy_records_to_table(
        "products",
        schema_name="social",
        records=aggregates,
        columns=["id", "deleted_at", "review_count", "rating_sum"]
        + [f"stars_{n}" for n in range(1, 6)],
    )
    columns = ["id", "product_id", "author_id", "rating", "comment", "status"]
    columns += ["helpful_count", "verified_purchase", "created_at", "updated_at"]
    await connection.copy_records_to_table(
        "reviews", schema_name="social", records=records, columns=columns
    )
