"""Seeding the demo catalog into an empty catalog database (`shopgraph seed`, first `dev` start)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from subgraphs.catalog.events import product_event
from subgraphs.catalog.models import CategoryRow, ProductRow, outbox
from subgraphs.catalog.products import written_products
from subgraphs.catalog.seed_data import CATEGORIES, demo_products
from subgraphs.platform.events import add_to_outbox
from subgraphs.platform.money import to_amount

if TYPE_CHECKING:
    from subgraphs.catalog.services import CatalogServices

# Ids and timestamps derive from the seed, so every run makes the same catalog.
NAMESPACE = uuid.UUID("6f1c3c1e-5a43-4c55-9d3e-0d8d7a3c2b10")
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def seed_id(key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, key))


async def seed_catalog(services: CatalogServices) -> int:
    """Adds the demo catalog when there are no products yet; how many it added."""
    async with services.database.session() as session:
        if await session.scalar(select(func.count()).select_from(ProductRow)):
            return 0
        categories = {
            c.slug: CategoryRow(id=seed_id(f"category/{c.slug}"), name=c.name, slug=c.slug)
            for c in CATEGORIES
        }
        session.add_all(categories.values())
        rows = []
        for position, seed in enumerate(demo_products()):
            created = EPOCH + timedelta(minutes=position)
            rows.append(
                ProductRow(
                    id=seed_id(f"product/{seed.key}"),
                    name=seed.name,
                    description=seed.description,
                    price_amount=to_amount(seed.price),
                    currency="USD",
                    stock=seed.stock,
                    category_id=categories[seed.category_slug].id,
                    created_at=created,
                    updated_at=created,
                    deleted_at=None,
                )
            )
        session.add_all(rows)
        await session.flush()
        products = await written_products(session, [row.id for row in rows])
        events = [product_event("product.created", products[row.id]) for row in rows]
        await add_to_outbox(session, outbox, events)
    services.relay.notify()
    return len(rows)
