"""Keeping the search index in step with the catalog, through the catalog's own events.

Each product event re-reads the product and writes its current state to the
search backend (or removes it), so redelivered or reordered events do no harm
and no inbox is needed. Of stock, the index keeps only whether a product is in
stock: a `stock.changed` that leaves it on the same side of zero changes no
document and is skipped (every checkout emits one per line; re-reading and
re-writing the product for each was a tenth of catalog's CPU under load). One
that crosses zero re-reads the current state, so a later crossing, whatever
order events come in, is written by its own event. A failed index write is
handed back to the bus, which delivers it again after a pause: nothing is lost
while a search server is down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy import select

from subgraphs.catalog.domain import Product
from subgraphs.catalog.events import STOCK_CHANGED
from subgraphs.catalog.models import ProductRow
from subgraphs.catalog.products import products_by_id
from subgraphs.catalog.search.port import SearchBackend, SearchDocument
from subgraphs.catalog.subscriptions import SEARCH_INDEXER
from subgraphs.platform.database import Database
from subgraphs.platform.events import Delivery, Event, EventBus
from subgraphs.platform.events.consuming import running_consumers

log = logging.getLogger(__name__)

CONSUMER = SEARCH_INDEXER.group
RETRY_PAUSE_SECONDS = 1.0
REINDEX_BATCH = 500


def search_document(product: Product) -> SearchDocument:
    return SearchDocument(
        id=product.id,
        name=product.name,
        description=product.description,
        category_id=product.category.id if product.category else None,
        category_name=product.category.name if product.category else None,
        price=product.price,
        currency=product.currency,
        in_stock=product.in_stock,
        created_at=product.created_at,
    )


async def reindex_products(
    database: Database, search: SearchBackend, product_ids: list[str]
) -> None:
    """Writes the current state of these products to the index."""
    found = await products_by_id(database, product_ids)
    live = [search_document(p) for p in found.values() if p.deleted_at is None]
    gone = [i for i in product_ids if i not in found or found[i].deleted_at is not None]
    if live:
        await search.index(live)
    if gone:
        await search.delete(gone)


def changes_the_index(event: Event) -> bool:
    """False for a stock change that leaves the product in stock, or out of it."""
    if event.type != STOCK_CHANGED:
        return True
    stock, delta = event.payload.get("stock"), event.payload.get("delta")
    if not isinstance(stock, int) or not isinstance(delta, int):
        return True  # not ours to judge: re-read the product
    return (stock > 0) != (stock - delta > 0)


async def index_delivery(database: Database, search: SearchBackend, delivery: Delivery) -> None:
    """Writes the product's current state; a failed write comes back after a pause."""
    if not changes_the_index(delivery.event):
        await delivery.ack()
        return
    try:
        await reindex_products(database, search, [delivery.event.subject_id])
    except Exception:
        log.warning("indexing %s failed; retrying", delivery.event.subject_id, exc_info=True)
        # Not `retry()`: an index that gave up would silently go stale, so the
        # event comes back until the search server takes it.
        await asyncio.sleep(RETRY_PAUSE_SECONDS)
        await delivery.nack(requeue=True)
    else:
        await delivery.ack()


@asynccontextmanager
async def running_indexer(
    database: Database, search: SearchBackend, bus: EventBus
) -> AsyncIterator[None]:
    async def handle(delivery: Delivery) -> None:
        await index_delivery(database, search, delivery)

    # On stop, an index write in progress finishes rather than being cut off.
    async with running_consumers(bus, SEARCH_INDEXER.group, SEARCH_INDEXER.types, handle):
        yield


async def reindex_all(
    database: Database, search: SearchBackend, progress: Callable[[int, int], None] | None = None
) -> int:
    """Rebuilds the index from the catalog; reports (done, total) as it goes."""
    async with database.session() as session:
        ids = list(
            await session.scalars(
                select(ProductRow.id).where(ProductRow.deleted_at.is_(None)).order_by(ProductRow.id)
            )
        )
    await search.clear()
    for start in range(0, len(ids), REINDEX_BATCH):
        batch = ids[start : start + REINDEX_BATCH]
        await reindex_products(database, search, batch)
        if progress is not None:
            progress(start + len(batch), len(ids))
    return len(ids)
