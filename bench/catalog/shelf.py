"""The benchmark's shelf: N products grown from the demo catalog, bulk-inserted, then indexed.

Rows go straight into the catalog tables through its models, as multi-row
INSERTs and without outbox events: 10,000 `product.created` events would have
the indexer re-read and index the products one at a time. The search index is
then rebuilt once, as `shopgraph search reindex` does (`reindex_all`).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert

from subgraphs.catalog.indexer import reindex_all
from subgraphs.catalog.models import CategoryRow, ProductRow
from subgraphs.catalog.search.factory import create_search_backend
from subgraphs.catalog.seed import EPOCH, seed_id
from subgraphs.catalog.seed_data import CATEGORIES, demo_products
from subgraphs.catalog.services import NAME, migrate
from subgraphs.catalog.settings import CatalogSettings
from subgraphs.platform.database import Database
from subgraphs.platform.money import to_amount
from subgraphs.platform.settings import Settings

# Each pass over the 240 demo products adds a product line, so names stay
# realistic ("Running Shoes (Blue) Heritage 2") and every demo word keeps
# matching about one product in 240, as on a real shelf.
SERIES = (
    "Classic",
    "Essential",
    "Pro",
    "Lite",
    "Select",
    "Studio",
    "Heritage",
    "Everyday",
    "Signature",
    "Urban",
    "Nordic",
    "Atelier",
)
NAMESPACE = uuid.UUID("0b9f6a52-2d1e-4f7c-a3b8-6c0e5d4f1a27")


@dataclass(frozen=True)
class Shelf:
    products: int
    insert_seconds: float
    index_seconds: float


def _product_rows(count: int) -> list[dict[str, object]]:
    seeds = demo_products()
    category_ids = {c.slug: seed_id(f"category/{c.slug}") for c in CATEGORIES}
    rows: list[dict[str, object]] = []
    for position in range(count):
        seed = seeds[position % len(seeds)]
        line = position // len(seeds)
        name = seed.name
        if line:
            name = f"{name} {SERIES[line % len(SERIES)]} {line // len(SERIES) + 1}"
        created = EPOCH + timedelta(minutes=position)
        rows.append(
            {
                "id": str(uuid.uuid5(NAMESPACE, str(position))),
                "name": name,
                "description": seed.description,
                "price_amount": to_amount(seed.price + Decimal(line % 10)),
                "currency": "USD",
                "stock": (seed.stock + line) % 40,
                "category_id": category_ids[seed.category_slug],
                "created_at": created,
                "updated_at": created,
                "deleted_at": None,
            }
        )
    return rows


async def fill(settings: Settings, catalog: CatalogSettings, count: int) -> Shelf:
    """Migrates the catalog database, adds `count` products and indexes them for search."""
    await migrate(settings)
    database = Database(settings, NAME)
    try:
        started = time.perf_counter()
        categories = [
            {"id": seed_id(f"category/{c.slug}"), "name": c.name, "slug": c.slug}
            for c in CATEGORIES
        ]
        async with database.session() as session:
            await session.execute(insert(CategoryRow), categories)
            await session.execute(insert(ProductRow), _product_rows(count))
        inserted = time.perf_counter()
        # refresh: the cluster backends make the last bulk write visible before we search.
        search = create_search_backend(
            catalog.search_backend, database, catalog.search_url, refresh=True
        )
        await search.start()
        try:
            indexed = await reindex_all(database, search)
        finally:
            await search.close()
        done = time.perf_counter()
    finally:
        await database.close()
    return Shelf(indexed, inserted - started, done - inserted)
