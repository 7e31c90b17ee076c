"""What social learns from other subgraphs' events, each handled exactly once.

- `social.catalog` follows `product.created` and `product.deleted`: the
  products a review may be written for.
- `social.purchases` follows `order.placed` and `order.status_changed`: who
  paid for what, which verifies reviews (see purchases.py).

Each handler records the event in the inbox in the transaction of its effect,
so a redelivered event changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from sqlalchemy import update

from subgraphs.platform.database import dialect_insert
from subgraphs.platform.events import Delivery, Event, EventBus, record_handled
from subgraphs.platform.events.consuming import running_consumers
from subgraphs.social.events import ORDER_PLACED, ORDER_STATUS_CHANGED, PRODUCT_DELETED
from subgraphs.social.models import ProductRow, inbox
from subgraphs.social.purchases import record_order_lines, record_order_paid
from subgraphs.social.subscriptions import CATALOG, CATALOG_GROUP, PURCHASES, PURCHASES_GROUP

if TYPE_CHECKING:
    from subgraphs.social.services import SocialServices

PAID = "PAID"


async def apply_catalog_event(services: SocialServices, event: Event) -> bool:
    """Records a product's creation or deletion; False when the event was seen before.

    A deletion may overtake its creation (retries reorder events), so both
    upsert and a creation never brings a deleted product back.
    """
    async with services.database.session() as session:
        if not await record_handled(session, inbox, CATALOG_GROUP, event.id):
            return False
        deleted_at = event.occurred_at if event.type == PRODUCT_DELETED else None
        insert = dialect_insert(session, ProductRow).values(
            id=event.subject_id,
            deleted_at=deleted_at,
            review_count=0,
            rating_sum=0,
            stars_1=0,
            stars_2=0,
            stars_3=0,
            stars_4=0,
            stars_5=0,
        )
        await session.execute(insert.on_conflict_do_nothing(index_elements=["id"]))
        if deleted_at is not None:
            await session.execute(
                update(ProductRow)
                .where(ProductRow.id == event.subject_id, ProductRow.deleted_at.is_(None))
                .values(deleted_at=deleted_at)
            )
    return True


async def apply_purchase_event(services: SocialServices, event: Event) -> bool:
    """Records an order's lines or its payment; False when the event was seen before."""
    user_id = event.payload.get("userId")
    if not isinstance(user_id, str):
        raise ValueError(f"event {event.id} ({event.type}) has no userId")
    async with services.database.session() as session:
        if not await record_handled(session, inbox, PURCHASES_GROUP, event.id):
            return False
        if event.type == ORDER_PLACED:
            lines = event.payload.get("lines")
            product_ids = [
                product_id
                for line in (lines if isinstance(lines, list) else [])
                if isinstance(line, dict)
                for product_id in [line.get("productId")]
                if isinstance(product_id, str)
            ]
            await record_order_lines(session, event.subject_id, user_id, product_ids)
        elif event.type == ORDER_STATUS_CHANGED and event.payload.get("to") == PAID:
            await record_order_paid(session, event.subject_id, user_id)
    return True


@asynccontextmanager
async def running_feeds(services: SocialServices, bus: EventBus) -> AsyncIterator[None]:
    async def catalog(delivery: Delivery) -> None:
        await apply_catalog_event(services, delivery.event)
        await delivery.ack()

    async def purchases(delivery: Delivery) -> None:
        await apply_purchase_event(services, delivery.event)
        await delivery.ack()

    async with AsyncExitStack() as stack:
        await stack.enter_async_context(
            running_consumers(bus, CATALOG.group, CATALOG.types, catalog)
        )
        await stack.enter_async_context(
            running_consumers(bus, PURCHASES.group, PURCHASES.types, purchases)
        )
        yield
