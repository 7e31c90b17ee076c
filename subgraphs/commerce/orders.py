"""Reading orders and their payments: by id in batches, and a customer's orders in pages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.commerce.domain import Order, OrderLine, OrderStatus, Payment, PaymentStatus
from subgraphs.commerce.errors import CommerceErrorCode
from subgraphs.commerce.models import OrderLineRow, OrderRow, PaymentRow
from subgraphs.platform.database import Database
from subgraphs.platform.errors import DomainError
from subgraphs.platform.pagination import decode_cursor, encode_cursor, invalid_cursor

MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: tuple[Order, ...]
    cursors: tuple[str, ...]
    has_next_page: bool
    total: int


def order_of(row: OrderRow, lines: Sequence[OrderLineRow]) -> Order:
    return Order(
        id=row.id,
        user_id=row.user_id,
        status=OrderStatus(row.status),
        total=row.total_amount,
        currency=row.currency,
        lines=tuple(
            OrderLine(
                line.product_id, line.product_name, line.quantity, line.unit_price, line.currency
            )
            for line in sorted(lines, key=lambda line: line.position)
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def orders_by_id(database: Database, ids: Sequence[str]) -> dict[str, Order]:
    """Two statements for any number of orders: the orders, then all their lines."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    async with database.session() as session:
        rows = (await session.scalars(select(OrderRow).where(OrderRow.id.in_(wanted)))).all()
        lines = await _lines_of(session, [row.id for row in rows])
    return {row.id: order_of(row, lines[row.id]) for row in rows}


async def snapshot(session: AsyncSession, row: OrderRow) -> Order:
    """The order as this transaction sees it: what a mutation answers with, even if a
    worker moves the order again the moment the transaction commits."""
    return order_of(row, (await _lines_of(session, [row.id]))[row.id])


async def _lines_of(session: AsyncSession, order_ids: list[str]) -> dict[str, list[OrderLineRow]]:
    grouped: dict[str, list[OrderLineRow]] = defaultdict(list)
    if order_ids:
        for line in await session.scalars(
            select(OrderLineRow).where(OrderLineRow.order_id.in_(order_ids))
        ):
            grouped[line.order_id].append(line)
    return grouped


async def payments_by_order(
    database: Database, order_ids: Sequence[str]
) -> dict[str, list[Payment]]:
    grouped: dict[str, list[Payment]] = defaultdict(list)
    if not order_ids:
        return grouped
    async with database.session() as session:
        rows = await session.scalars(
            select(PaymentRow)
            .where(PaymentRow.order_id.in_(list(order_ids)))
            .order_by(PaymentRow.created_at, PaymentRow.id)
        )
        for row in rows:
            grouped[row.order_id].append(payment_of(row))
    return grouped


def payment_of(row: PaymentRow) -> Payment:
    return Payment(
        id=row.id,
        order_id=row.order_id,
        status=PaymentStatus(row.status),
        amount=row.amount,
        currency=row.currency,
        card_brand=row.card_brand,
        card_last4=row.card_last4,
        failure_reason=row.failure_reason,
        created_at=row.created_at,
    )


async def orders_page(
    database: Database,
    first: int,
    after: str | None,
    *,
    user_id: str | None = None,
    status: OrderStatus | None = None,
) -> OrderPage:
    """Orders newest first, with keyset cursors on (created_at, id): one user's, or
    everyone's (staff), of one status if given."""
    if not 0 <= first <= MAX_PAGE:
        raise DomainError(
            CommerceErrorCode.INVALID_PAGE_SIZE,
            f"first must be between 0 and {MAX_PAGE}",
            ["first"],
        )
    chosen = []
    if user_id is not None:
        chosen.append(OrderRow.user_id == user_id)
    if status is not None:
        chosen.append(OrderRow.status == status.value)
    query = select(OrderRow).where(*chosen)
    if after is not None:
        created_text, order_id = decode_cursor(after, 2)
        if not isinstance(created_text, str) or not isinstance(order_id, str):
            raise invalid_cursor()
        try:
            created = datetime.fromisoformat(created_text)
        except ValueError as error:
            raise invalid_cursor() from error
        query = query.where(
            or_(
                OrderRow.created_at < created,
                and_(OrderRow.created_at == created, OrderRow.id < order_id),
            )
        )
    query = query.order_by(OrderRow.created_at.desc(), OrderRow.id.desc()).limit(first + 1)
    async with database.session() as session:
        total = await session.scalar(select(func.count()).select_from(OrderRow).where(*chosen))
        rows = list((await session.scalars(query)).all())
        has_next = len(rows) > first
        rows = rows[:first]
        lines = await _lines_of(session, [row.id for row in rows])
    orders = tuple(order_of(row, lines[row.id]) for row in rows)
    cursors = tuple(encode_cursor([o.created_at.isoformat(), o.id]) for o in orders)
    return OrderPage(orders, cursors, has_next, total or 0)
