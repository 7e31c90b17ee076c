"""Stock reservations for checkout: all or nothing, idempotent per key, never below zero.

`reserve` takes units with a conditional decrement (`stock >= quantity`), so
concurrent checkouts can never oversell: the row locks (PostgreSQL) or the write
lock (SQLite, BEGIN IMMEDIATE) serialise the decrements and a check constraint
backs them. Every key has one row in `reservation_keys` holding its status; its
primary key serialises everything done under one key. Reserving a key twice
finds the first reservation and changes nothing; `release` and `commit` are
idempotent too. A key released or committed before anything was reserved under
it (the reservation reached catalog after the checkout gave it up and the
sweeper released it) stays settled, and a late reservation takes nothing.

On PostgreSQL a reservation is ONE statement, then COMMIT: the statement locks
the products in id order, checks every line, and only if all pass claims the
key, decrements the stock, writes the lines and the `stock.changed` events. So
the hot product rows are locked while PostgreSQL runs that statement and until
the COMMIT that follows it, not across several statements: under load, a Python
process between statements kept them locked for tens of milliseconds while
every other checkout of those products waited.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from subgraphs.catalog.errors import CatalogErrorCode
from subgraphs.catalog.events import STOCK_CHANGED, stock_changed
from subgraphs.catalog.models import ProductRow, ReservationKeyRow, ReservationRow, outbox
from subgraphs.platform.columns import utc_now
from subgraphs.platform.database import dialect_insert
from subgraphs.platform.errors import DomainError
from subgraphs.platform.events import Event, add_to_outbox

if TYPE_CHECKING:
    from subgraphs.catalog.services import CatalogServices

log = logging.getLogger(__name__)

RESERVED, RELEASED, COMMITTED = "RESERVED", "RELEASED", "COMMITTED"
_ATTEMPTS = 3
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


# The PostgreSQL reservation (see the module docstring). `locked` takes the row
# locks in id order, so two reservations never deadlock; `verdict` passes only if
# every line can be served; `claimed` inserts the key only then and only if it is
# new; the rest runs only for a claimed key. The events are those of
# events.stock_changed, built here so that they commit with the stock.
_RESERVE = text(
    """
WITH wanted AS (
  SELECT w.product_id, w.quantity
  FROM unnest(CAST(:product_ids AS text[]), CAST(:quantities AS int[]))
       AS w(product_id, quantity)
), locked AS (
  SELECT id, stock, deleted_at FROM products
  WHERE id = ANY(CAST(:product_ids AS text[])) ORDER BY id FOR UPDATE
), verdict AS (
  SELECT count(*) = cardinality(CAST(:product_ids AS text[])) AS ok
  FROM wanted w JOIN locked l ON l.id = w.product_id
  WHERE l.deleted_at IS NULL AND l.stock >= w.quantity
), claimed AS (
  INSERT INTO reservation_keys (order_id, status, created_at, updated_at)
  SELECT :order_id, :reserved, :now, :now FROM verdict WHERE ok
  ON CONFLICT (order_id) DO NOTHING
  RETURNING order_id
), taken AS (
  UPDATE products p SET stock = p.stock - w.quantity, updated_at = :now
  FROM wanted w
  WHERE p.id = w.product_id AND p.stock >= w.quantity AND EXISTS (SELECT FROM claimed)
  RETURNING p.id, p.stock, w.quantity
), lines AS (
  INSERT INTO reservations (order_id, product_id, quantity, status, created_at, updated_at)
  SELECT :order_id, product_id, quantity, :reserved, :now, :now
  FROM wanted WHERE EXISTS (SELECT FROM claimed)
), events AS (
  INSERT INTO outbox (id, type, version, occurred_at, subject_id, payload, created_at, attempts)
  SELECT gen_random_uuid(), :event_type, 1, :now, t.id,
         json_build_object('stock', t.stock, 'delta', -t.quantity, 'reason', 'reserved',
                           'orderId', CAST(:order_id AS text))::text,
         CAST(:now AS timestamptz)
           + (row_number() OVER (ORDER BY t.id)) * interval '1 microsecond',
         0
  FROM taken t
)
SELECT (SELECT ok FROM verdict) AS ok, (SELECT count(*) FROM claimed) AS claimed,
       (SELECT count(*) FROM taken) AS taken
"""
)


async def reserve(
    services: CatalogServices, order_id: str, lines: Sequence[ReservationLine]
) -> Reservation:
    wanted = _merged(lines)
    existing = await get_reservation(services, order_id)
    if existing is not None:
        return existing
    if services.database.is_sqlite:
        claimed = await _reserve_in_transaction(services, order_id, wanted)
    else:
        claimed = await _reserve_in_one_statement(services, order_id, wanted)
    if not claimed:
        # The same key was reserved (or settled) concurrently and won: that stands.
        existing = await get_reservation(services, order_id)
        if existing is None:
            raise RuntimeError(f"reservation {order_id} was claimed, yet it is not there")
        return existing
    services.relay.notify()
    return Reservation(order_id, RESERVED, tuple(wanted))


async def _reserve_in_one_statement(
    services: CatalogServices, order_id: str, wanted: list[ReservationLine]
) -> bool:
    """True if this call reserved; raises the refusal when a line cannot be served."""
    parameters = {
        "order_id": order_id,
        "product_ids": [line.product_id for line in wanted],
        "quantities": [line.quantity for line in wanted],
        "now": utc_now(),
        "reserved": RESERVED,
        "event_type": STOCK_CHANGED,
    }
    for _ in range(_ATTEMPTS):
        try:
            async with services.database.session() as session:
                ok, claimed, taken = (await session.execute(_RESERVE, parameters)).one()
                if claimed and taken != len(wanted):
                    # Seen under heavy contention: PostgreSQL's recheck of a row that a
                    # concurrent reservation changed skipped it. Never commit half a
                    # reservation: roll back and run the statement again.
                    raise _PartlyTaken(taken)
        except _PartlyTaken as partly:
            log.warning(
                "reservation %s took %s of %s lines; trying again", order_id, partly, len(wanted)
            )
            continue
        if ok:
            return bool(claimed)
        async with services.database.reading() as connection:
            # A racing call with this key may have taken the last units: that one stands.
            known = await connection.scalar(
                select(ReservationKeyRow.order_id).where(ReservationKeyRow.order_id == order_id)
            )
            if known is not None:
                return False
            raise await _refusal(connection, wanted)
    raise RuntimeError(f"reservation {order_id} could not take all its lines")


class _PartlyTaken(Exception):
    """The statement claimed the key but did not take every line: its transaction rolls back."""


async def _reserve_in_transaction(
    services: CatalogServices, order_id: str, wanted: list[ReservationLine]
) -> bool:
    """SQLite: every write transaction holds the database's one write lock anyway."""
    try:
        async with services.database.session() as session:
            if await session.get(ReservationKeyRow, order_id) is not None:
                return False
            now = utc_now()
            session.add(
                ReservationKeyRow(
                    order_id=order_id, status=RESERVED, created_at=now, updated_at=now
                )
            )
            events = await _take_stock(session, order_id, wanted)
            await add_to_outbox(session, outbox, events)
    except IntegrityError:
        return False
    return True


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
            raise await _refusal(session, [line])
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


async def _refusal(
    connection: AsyncSession | AsyncConnection, lines: Sequence[ReservationLine]
) -> DomainError:
    """Why the first line that cannot be served is refused (read after the refusal)."""
    rows = {
        product_id: (stock, deleted_at)
        for product_id, stock, deleted_at in await connection.execute(
            select(ProductRow.id, ProductRow.stock, ProductRow.deleted_at).where(
                ProductRow.id.in_([line.product_id for line in lines])
            )
        )
    }
    for line in lines:
        row = rows.get(line.product_id)
        if row is None or row[1] is not None:
            return DomainError(
                CatalogErrorCode.PRODUCT_NOT_FOUND,
                f"product {line.product_id} does not exist",
                ["lines"],
            )
    for line in lines:
        stock = rows[line.product_id][0]
        if stock < line.quantity:
            return DomainError(
                CatalogErrorCode.INSUFFICIENT_STOCK,
                f"only {stock} of product {line.product_id} left",
                ["lines"],
            )
    # Stock came back between the refusal and this read: a retry may succeed.
    return DomainError(
        CatalogErrorCode.INSUFFICIENT_STOCK,
        "the stock changed while reserving; try again",
        ["lines"],
    )


async def get_reservation(services: CatalogServices, order_id: str) -> Reservation | None:
    async with services.database.session() as session:
        key = await session.get(ReservationKeyRow, order_id)
        if key is None:
            return None
        rows = (
            await session.scalars(
                select(ReservationRow)
                .where(ReservationRow.order_id == order_id)
                .order_by(ReservationRow.product_id)
            )
        ).all()
    lines = tuple(ReservationLine(r.product_id, r.quantity) for r in rows)
    return Reservation(order_id, key.status, lines)


async def release(services: CatalogServices, order_id: str) -> Reservation | None:
    """Puts reserved units back on the shelf; a released or committed order is left alone."""
    return await _settle(services, order_id, RELEASED)


async def commit(services: CatalogServices, order_id: str) -> Reservation | None:
    """The order is paid: its units are sold for good."""
    return await _settle(services, order_id, COMMITTED)


async def _settle(services: CatalogServices, order_id: str, outcome: str) -> Reservation | None:
    now = utc_now()
    async with services.database.session() as session:
        # The key moves from RESERVED once, under its row lock; an unknown key is
        # written settled, so a reservation that arrives later takes nothing.
        statement = dialect_insert(session, ReservationKeyRow)
        await session.execute(
            statement.values(
                order_id=order_id, status=outcome, created_at=now, updated_at=now
            ).on_conflict_do_update(
                index_elements=[ReservationKeyRow.order_id],
                set_={"status": outcome, "updated_at": now},
                where=ReservationKeyRow.status == RESERVED,
            )
        )
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
