"""How one event changes the recommendation tables, inside the caller's transaction.

- catalog `product.*` / `stock.changed`: whether the product may be recommended;
- `order.placed`: the order's basket is remembered;
- `order.status_changed` to PAID: every pair of products in the basket is one
  more co-purchase (both directions), the buyer's products are marked bought,
  and each product scores one for "popular" on that day;
- `product.viewed`: the first view of a product in a session pairs it with
  every product viewed before in that session (co-views), counts a view for
  the signed-in viewer, and scores one for "popular".

The consumer calls `apply` in the transaction that records the event in the
inbox, so a repeated event changes nothing; a rebuild calls it on fresh tables.
"""

from __future__ import annotations

import logging
from itertools import permutations
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.insights.models import (
    CoPurchaseRow,
    CoViewRow,
    DailyPopularityRow,
    OrderBasketRow,
    ProductStateRow,
    SessionViewRow,
    UserProductRow,
)
from subgraphs.platform.events import Event

log = logging.getLogger(__name__)

PRODUCT_TYPES = ("product.created", "product.updated", "product.deleted", "stock.changed")
EVENT_TYPES = (*PRODUCT_TYPES, "order.placed", "order.status_changed", "product.viewed")


async def apply(session: AsyncSession, event: Event) -> None:
    if event.type in PRODUCT_TYPES:
        await _product_changed(session, event)
    elif event.type == "order.placed":
        await _order_placed(session, event)
    elif event.type == "order.status_changed" and event.payload.get("to") == "PAID":
        await _order_paid(session, event)
    elif event.type == "product.viewed":
        await _product_viewed(session, event)


def _insert(session: AsyncSession, table: Any, values: dict[str, Any]) -> Any:
    """INSERT with the dialect's ON CONFLICT clauses (SQLite and PostgreSQL spell them alike)."""
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    return dialect.insert(table).values(values)


async def _add(
    session: AsyncSession,
    table: Any,
    keys: dict[str, Any],
    column: str,
    *,
    others: dict[str, Any] | None = None,
) -> None:
    """`column` += 1 on the row with `keys`, creating it at 1 (with `others` set)."""
    statement = _insert(session, table, {**keys, **(others or {}), column: 1})
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(keys), set_={column: table.c[column] + 1}
        )
    )


async def _product_changed(session: AsyncSession, event: Event) -> None:
    state = await session.get(ProductStateRow, event.subject_id)
    if state is not None and state.changed_at > event.occurred_at:
        return  # a newer change was applied already
    payload = event.payload
    stock = payload.get("stock")
    in_stock = isinstance(stock, int) and stock > 0
    if state is None:
        session.add(
            ProductStateRow(
                product_id=event.subject_id,
                deleted=payload.get("deleted") is True or event.type == "product.deleted",
                in_stock=in_stock,
                changed_at=event.occurred_at,
            )
        )
        return
    if event.type != "stock.changed":
        state.deleted = payload.get("deleted") is True or event.type == "product.deleted"
    state.in_stock = in_stock
    state.changed_at = event.occurred_at


async def _order_placed(session: AsyncSession, event: Event) -> None:
    lines = event.payload.get("lines")
    products = sorted(
        {
            str(line.get("productId"))
            for line in (lines if isinstance(lines, list) else [])
            if isinstance(line, dict)
        }
    )
    if await session.get(OrderBasketRow, event.subject_id) is None:
        session.add(
            OrderBasketRow(
                order_id=event.subject_id,
                user_id=str(event.payload.get("userId") or ""),
                product_ids=" ".join(str(p) for p in products),
                paid=False,
            )
        )


async def _order_paid(session: AsyncSession, event: Event) -> None:
    basket = await session.get(OrderBasketRow, event.subject_id)
    if basket is None:
        log.warning("order %s was paid but its placement was never seen", event.subject_id)
        return
    if basket.paid:
        return
    basket.paid = True
    products = basket.product_ids.split()
    for product, other in permutations(products, 2):
        pair = {"product_id": product, "other_id": other}
        await _add(session, CoPurchaseRow.__table__, pair, "orders")
    day = event.occurred_at.date().isoformat()
    for product in products:
        await _add(
            session, DailyPopularityRow.__table__, {"day": day, "product_id": product}, "score"
        )
        if basket.user_id:
            await _mark_bought(session, basket.user_id, product)


async def _mark_bought(session: AsyncSession, user_id: str, product_id: str) -> None:
    statement = _insert(
        session,
        UserProductRow.__table__,
        {"user_id": user_id, "product_id": product_id, "views": 0, "bought": True},
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "product_id"], set_={"bought": True}
        )
    )


async def _product_viewed(session: AsyncSession, event: Event) -> None:
    payload = event.payload
    session_id, product = payload.get("sessionId"), payload.get("productId")
    if not isinstance(session_id, str) or not isinstance(product, str):
        log.warning("view %s names no session or product", event.id)
        return
    user = payload.get("userId")
    if isinstance(user, str) and user:
        keys = {"user_id": user, "product_id": product}
        await _add(session, UserProductRow.__table__, keys, "views", others={"bought": False})
    day = event.occurred_at.date().isoformat()
    await _add(session, DailyPopularityRow.__table__, {"day": day, "product_id": product}, "score")
    if await session.get(SessionViewRow, (session_id, product)) is not None:
        return  # seen in this session before: its pairs are counted
    seen = list(
        await session.scalars(
            select(SessionViewRow.product_id).where(SessionViewRow.session_id == session_id)
        )
    )
    session.add(SessionViewRow(session_id=session_id, product_id=product))
    for other in seen:
        for a, b in ((product, other), (other, product)):
            await _add(session, CoViewRow.__table__, {"product_id": a, "other_id": b}, "sessions")
