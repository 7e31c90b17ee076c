"""Who bought what, from commerce's events, and the verified-purchase mark it gives reviews.

A purchase is a line of an order (`order.placed`) whose order reached PAID
(`order.status_changed` to PAID). The two events may arrive in either order, so
each handler writes its half and then marks whatever reviews the pair now
verifies. Commerce only moves an order to PAID when a payment really paid it
(a late success on a cancelled order is refunded instead), which is why PAID,
rather than `payment.succeeded`, is the signal. Nothing ever clears the mark:
a refund keeps the history of what was bought.

A review and a payment of the same user may commit at the same moment; each
transaction first takes a lock on the buyer, so whichever runs second sees the
other's row and the mark is never missed.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.platform.columns import utc_now
from subgraphs.platform.database import dialect_insert
from subgraphs.social.models import PaidOrderRow, PurchaseLineRow, ReviewRow


async def lock_buyer(session: AsyncSession, user_id: str) -> None:
    """Serialises this transaction with the others touching `user_id`'s purchases or reviews.

    SQLite needs nothing: every transaction there starts with BEGIN IMMEDIATE.
    """
    if session.get_bind().dialect.name != "sqlite":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"shopgraph.social.buyer.{user_id}"},
        )


async def has_paid_for(session: AsyncSession, user_id: str, product_id: str) -> bool:
    paid = (
        select(PurchaseLineRow.order_id)
        .join(PaidOrderRow, PaidOrderRow.order_id == PurchaseLineRow.order_id)
        .where(PurchaseLineRow.user_id == user_id, PurchaseLineRow.product_id == product_id)
    )
    return bool(await session.scalar(select(exists(paid))))


async def record_order_lines(
    session: AsyncSession, order_id: str, user_id: str, product_ids: Sequence[str]
) -> int:
    """Writes the lines of a placed order; marks the reviews it verifies if it is paid."""
    await lock_buyer(session, user_id)
    if product_ids:
        rows = [
            {"order_id": order_id, "product_id": p, "user_id": user_id}
            for p in dict.fromkeys(product_ids)
        ]
        insert = dialect_insert(session, PurchaseLineRow).values(rows)
        await session.execute(insert.on_conflict_do_nothing())
    return await _verify(session, order_id, user_id)


async def record_order_paid(session: AsyncSession, order_id: str, user_id: str) -> int:
    """Writes that the order was paid; marks the reviews of its products verified."""
    await lock_buyer(session, user_id)
    insert = dialect_insert(session, PaidOrderRow).values(
        order_id=order_id, user_id=user_id, paid_at=utc_now()
    )
    await session.execute(insert.on_conflict_do_nothing())
    return await _verify(session, order_id, user_id)


async def _verify(session: AsyncSession, order_id: str, user_id: str) -> int:
    """Marks `user_id`'s reviews of the products of `order_id`, if that order is paid."""
    paid = select(PaidOrderRow.order_id).where(PaidOrderRow.order_id == order_id)
    products = select(PurchaseLineRow.product_id).where(PurchaseLineRow.order_id == order_id)
    result = await session.execute(
        update(ReviewRow)
        .where(
            ReviewRow.author_id == user_id,
            ReviewRow.product_id.in_(products),
            ReviewRow.verified_purchase.is_(False),
            exists(paid),
        )
        .values(verified_purchase=True)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # a CursorResult for UPDATE
