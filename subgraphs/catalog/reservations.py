"""Stock reservations for checkout: all or nothing, idempotent per order, never below zero.

`reserve` takes units with a conditional decrement (`stock >= quantity`), so
concurrent checkouts can never oversell: the database row lock (PostgreSQL) or
the write lock (SQLite, BEGIN IMMEDIATE) serialises the decrements and a
check constraint backs them. Reserving the same order twice finds the first
reservation and changes nothing; `release` and `commit` are idempotent too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.catalog.errors import CatalogErrorCode
from subgraphs.catalog.events import stock_changed
from subgraphs.catalog.models import ProductRow, ReservationRow, outbox
from subgraphs.platform.columns import utc_now
from subgraphs.platform.errors import DomainError
from subgraphs.platform.events import Event, add_to_outbox

if TYPE_CHECKING:
    from subgraphs.catalog.services import CatalogServices

RESERVED, RELEASED, COMMITTED = "RESERVED", "RELEASED", "COMMITTED"
MAX_LINES = 100


@dataclass(frozen=True, slots=True)
class ReservationLine:
    product_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Reservation:
    order_id: str
    status: str
    lines: tuple[ReservationLine, ...]


def _merged(lines: Sequence[ReservationLine]) -> list[ReservationLine]:
    if not lines:
        raise DomainError(
            CatalogErrorCode.EMPTY_RESERVATION, "a reservation needs at least one line", ["lines"]
        )
    if len(lines) > MAX_LINES:
        raise DomainError(CatalogErrorCode.TOO_MANY_LINES, f"at most {MAX_LINES} lines", ["lines"])
    totals: Counter[str] = Counter()
    for line in lines:
        if line.quantity <= 0:
            raise DomainError(
                CatalogErrorCode.INVALID_QUANTITY, "quantities must be positive", ["lines"]
            )
        totals[line.product_id] += line.quantity
    # A fixed order of row locks keeps two reservations from deadlocking.
    return [
        ReservationLine(product_id, quantity) for product_id, quantity in sorted(totals.items())
    ]


async def reserve(
    services: CatalogServices, order_id: str, lines: Sequence[ReservationLine]
) -> Reservation:
    wanted = _merged(lines)
    existing = await get_reservation(services, order_id)
    if existing is not None:
        return existing
    try:
        async with services.database.session() as session:
            events = await _take_stock(session, order_id, wanted)
            await add_to_outbox(session, outbox, events)
    except IntegrityError:
        # The same order was reserved concurrently and won: that reservation stands.
        existing = await get_reservation(services, order_id)
        if existing is None:
            raise
        return existing
    services.relay.notify()
    return Reservation(order_id, RESERVED, tuple(wanted))


async def _take_stock(
    session: AsyncSession, order_id: str, lines: list[ReservationLine]
) -> list[Event]:
    now = utc_now()
    events = []
    for line in lines:
        result = await session.execute(
            update(ProductRow)
            .where(
                ProductRow.id == line.product_id,
                ProductRow.deleted_at.is_(None),
                ProductRow.stock >= line.quantity,
            )
            .values(stock=ProductRow.stock - line.quantity, updated_at=now)
            .returning(ProductRow.stock)
        )
        left = result.scalar_one_or_none()
        if left is None:
            raise await _why_not(session, line)
        events.append(stock_changed(line.product_id, left, -line.quantity, "reserved", order_id))
        session.add(
            ReservationRow(
                order_id=order_id,
                product_id=line.product_id,
                quantity=line.quantity,
                status=RESERVED,
                created_at=now,
                updated_at=now,
            )
        )
    await session.flush()
    return events


async def _why_not(session: AsyncSession, line: ReservationLine) -> DomainError:
    row = await session.get(ProductRow, line.product_id)
    if row is None or row.deleted_at is not None:
        return DomainError(
            CatalogErrorCode.PRODUCT_NOT_FOUND,
            f"product {line.product_id} does not exist",
            ["lines"],
        )
    return DomainError(
        CatalogErrorCode.INSUFFICIENT_STOCK,
        f"only {row.stock} of product {line.product_id} left",
        ["lines"],
    )


async def get_reservation(services: CatalogServices, order_id: str) -> Reservation | None:
    async with services.database.session() as session:
        rows = (
            await session.scalars(
                select(ReservationRow)
                .where(ReservationRow.order_id == order_id)
                .order_by(ReservationRow.product_id)
            )
        ).all()
    if not rows:
        return None
    lines = tuple(ReservationLine(r.product_id, r.quantity) for r in rows)
    return Reservation(order_id, rows[0].status, lines)


async def release(services: CatalogServices, order_id: str) -> Reservation | None:
    """Puts reserved units back on the shelf; a released or committed order is left alone."""
    return await _settle(services, order_id, RELEASED)


async def commit(services: CatalogServices, order_id: str) -> Reservation | None:
    """The order is paid: its units are sold for good."""
    return await _settle(services, order_id, COMMITTED)


async def _settle(services: CatalogServices, order_id: str, outcome: str) -> Reservation | None:
    now = utc_now()
    async with services.database.session() as session:
        # Only a RESERVED row moves, and only once: the status change is the lock.
        moved = await session.execute(
            update(ReservationRow)
            .where(ReservationRow.order_id == order_id, ReservationRow.status == RESERVED)
            .values(status=outcome, updated_at=now)
            .returning(ReservationRow.product_id, ReservationRow.quantity)
        )
        rows = list(moved.all())
        events = []
        if outcome == RELEASED:
            for product_id, quantity in sorted(rows):
                result = await session.execute(
                    update(ProductRow)
                    .where(ProductRow.id == product_id)
                    .values(stock=ProductRow.stock + quantity, updated_at=now)
                    .returning(ProductRow.stock)
                )
                stock = result.scalar_one()
                events.append(stock_changed(product_id, stock, quantity, "released", order_id))
        await add_to_outbox(session, outbox, events)
    if events:
        services.relay.notify()
    return await get_reservation(services, order_id)
