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

On PostgreSQL a reservation is ONE call of `reserve_stock` (migrations 0003 and
0005) in autocommit: one round trip. It claims the key, locks the products in id
order, checks every line and their currencies, and only if all pass decrements the
stock and writes the lines and the `stock.changed` events, each write a statement
with a snapshot taken after the locks; it answers with the products it read. So
the hot product rows are locked only while PostgreSQL runs it, not across round
trips: a Python process between statements kept them locked for tens of
milliseconds while every other checkout of those products waited.

A reservation answers with what checkout needs of each product (name, price,
currency), read as it reserves, and refuses, reserving nothing, products that are
deleted or priced in more than one currency: checkout used to ask for them in a
catalog call of its own before reserving.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from subgraphs.catalog.errors import CatalogErrorCode
from subgraphs.catalog.events import STOCK_CHANGED, stock_changed
from subgraphs.catalog.models import ProductRow, ReservationKeyRow, ReservationRow, outbox
from subgraphs.platform.columns import utc_now
from subgraphs.platform.database import dialect_insert
from subgraphs.platform.errors import DomainError
from subgraphs.platform.events import Event, add_to_outbox
from subgraphs.platform.money import to_amount

if TYPE_CHECKING:
    from subgraphs.catalog.services import CatalogServices

RESERVED, RELEASED, COMMITTED = "RESERVED", "RELEASED", "COMMITTED"
REFUSED = "REFUSED"  # reserve_stock's answer when a line cannot be served
MAX_LINES = 100


@dataclass(frozen=True, slots=True)
class ReservationLine:
    product_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ReservedProduct:
    """What an order line needs of a reserved product, as read when reserving."""

    product_id: str
    name: str
    price: Decimal
    currency: str
    deleted: bool


@dataclass(frozen=True, slots=True)
class Reservation:
    order_id: str
    status: str
    lines: tuple[ReservationLine, ...]
    # Only in `reserve`'s answer: the product of each line.
    products: tuple[ReservedProduct, ...] = ()


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One try at reserving under a key: whether it took the stock, the products it
    read, and, when it reserved nothing for a product it may not sell, why."""

    claimed: bool
    products: dict[str, ReservedProduct]
    refusal: DomainError | None = None


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


# The PostgreSQL reservation: one call of the function of migration 0005 (see 0003's
# docstring for why the lock-and-check and the writes are separate statements). In
# autocommit the call is its own transaction: one round trip.
_RESERVE = text(
    "SELECT * FROM reserve_stock(:order_id, :product_ids, :quantities, :now, :event_type)"
)


async def reserve(
    services: CatalogServices, order_id: str, lines: Sequence[ReservationLine]
) -> Reservation:
    """Reserves all `lines` under `order_id`, or none (DomainError); answers with their
    products. A key reserved (or settled) before is answered as it stands, so a
    product deleted since does not refuse the retry of a checkout that holds it."""
    wanted = _merged(lines)
    if services.database.is_sqlite:
        attempt = await _reserve_in_transaction(services, order_id, wanted)
    else:
        # A known key is rare (a retried checkout): the function answers KNOWN for it.
        attempt = await _reserve_in_one_call(services, order_id, wanted)
    if attempt.claimed:
        services.relay.notify()
        products = tuple(attempt.products[line.product_id] for line in wanted)
        return Reservation(order_id, RESERVED, tuple(wanted), products)
    # The same key was reserved (or settled) before or concurrently: that stands.
    existing = await get_reservation(services, order_id)
    if existing is None:
        if attempt.refusal is not None:
            raise attempt.refusal
        raise RuntimeError(f"reservation {order_id} was claimed, yet it is not there")
    return await _with_products(services, existing, attempt.products)


async def _reserve_in_one_call(
    services: CatalogServices, order_id: str, wanted: list[ReservationLine]
) -> _Attempt:
    """Reserves in one call of reserve_stock, which answers with the products; raises
    its refusal."""
    parameters = {
        "order_id": order_id,
        "product_ids": [line.product_id for line in wanted],
        "quantities": [line.quantity for line in wanted],
        "now": utc_now(),
        "event_type": STOCK_CHANGED,
    }
    async with services.database.reading() as connection:
        rows = (await connection.execute(_RESERVE, parameters)).all()
        products = {
            row.product_id: ReservedProduct(
                row.product_id, row.name, to_amount(row.price_amount), row.currency, row.deleted
            )
            for row in rows
            if row.name is not None
        }
        outcome = rows[0].outcome
        if outcome == REFUSED:
            raise _unsellable(wanted, products) or await _refusal(connection, wanted)
    return _Attempt(outcome == RESERVED, products)


async def _reserve_in_transaction(
    services: CatalogServices, order_id: str, wanted: list[ReservationLine]
) -> _Attempt:
    """SQLite: every write transaction holds the database's one write lock anyway."""
    try:
        async with services.database.session() as session:
            if await session.get(ReservationKeyRow, order_id) is not None:
                return _Attempt(False, {})
            products = await _products_of(session, [line.product_id for line in wanted])
            refusal = _unsellable(wanted, products)
            if refusal is not None:
                return _Attempt(False, products, refusal)
            now = utc_now()
            session.add(
                ReservationKeyRow(
                    order_id=order_id, status=RESERVED, created_at=now, updated_at=now
                )
            )
            events = await _take_stock(session, order_id, wanted)
            await add_to_outbox(session, outbox, events)
    except IntegrityError:
        return _Attempt(False, {})
    return _Attempt(True, products)


# What an order line needs of each product, built once (Core rows, no ORM objects).
_SOLD_AS = select(
    ProductRow.id,
    ProductRow.name,
    ProductRow.price_amount,
    ProductRow.currency,
    ProductRow.deleted_at,
).where(ProductRow.id.in_(bindparam("ids", expanding=True)))


async def _products_of(
    connection: AsyncSession | AsyncConnection, ids: Sequence[str]
) -> dict[str, ReservedProduct]:
    rows = await connection.execute(_SOLD_AS, {"ids": list(ids)})
    return {
        row.id: ReservedProduct(
            row.id, row.name, to_amount(row.price_amount), row.currency, row.deleted_at is not None
        )
        for row in rows
    }


def _unsellable(
    wanted: Sequence[ReservationLine], products: dict[str, ReservedProduct]
) -> DomainError | None:
    """Why these lines may not make one order, if they may not: checked before the stock."""
    for line in wanted:
        product = products.get(line.product_id)
        if product is None or product.deleted:
            return DomainError(
                CatalogErrorCode.PRODUCT_NOT_FOUND,
                f"product {line.product_id} does not exist",
                ["lines"],
            )
    if len({products[line.product_id].currency for line in wanted}) > 1:
        return DomainError(
            CatalogErrorCode.CURRENCY_MISMATCH,
            "the products are priced in more than one currency",
            ["lines"],
        )
    return None


async def _with_products(
    services: CatalogServices, reservation: Reservation, read: dict[str, ReservedProduct]
) -> Reservation:
    """A reservation found under its key, with its lines' products (read now if the
    lines are not those asked for: a cart that changed between two tries)."""
    ids = [line.product_id for line in reservation.lines]
    missing = [product_id for product_id in ids if product_id not in read]
    if missing:
        async with services.database.reading() as connection:
            read = {**read, **await _products_of(connection, missing)}
    products = tuple(read[product_id] for product_id in ids if product_id in read)
    return Reservation(reservation.order_id, reservation.status, reservation.lines, products)


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


_SETTLE = text("SELECT * FROM settle_reservation(:order_id, :outcome, :now, :event_type)")


async def _settle(services: CatalogServices, order_id: str, outcome: str) -> Reservation | None:
    if services.database.is_sqlite:
        return await _settle_in_transaction(services, order_id, outcome)
    # One call of the function from migration 0003, its own transaction in autocommit.
    parameters = {
        "order_id": order_id,
        "outcome": outcome,
        "now": utc_now(),
        "event_type": STOCK_CHANGED,
    }
    async with services.database.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        rows = (await autocommit.execute(_SETTLE, parameters)).all()
    if rows[0].restocked:
        services.relay.notify()
    lines = tuple(
        ReservationLine(row.product_id, row.quantity) for row in rows if row.product_id is not None
    )
    return Reservation(order_id, rows[0].status, lines)


MAX_SETTLEMENTS = 500
_SETTLE_MANY = text("SELECT settle_reservations(:order_ids, :outcomes, :now, :event_type)")


async def settle_many(
    services: CatalogServices, commits: Sequence[str], releases: Sequence[str]
) -> int:
    """Commits and releases many keys at once, each as `commit` or `release` would, and
    returns how many keys were named: commerce settles the payment outcomes that arrive
    together in one call."""
    outcomes = _settlements(commits, releases)
    if not outcomes:
        return 0
    if services.database.is_sqlite:
        for order_id, outcome in outcomes.items():
            await _settle_in_transaction(services, order_id, outcome)
        return len(outcomes)
    # One call of the function from migration 0004, its own transaction in autocommit.
    parameters = {
        "order_ids": list(outcomes),
        "outcomes": list(outcomes.values()),
        "now": utc_now(),
        "event_type": STOCK_CHANGED,
    }
    async with services.database.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        restocked = await autocommit.scalar(_SETTLE_MANY, parameters)
    if restocked:
        services.relay.notify()
    return len(outcomes)


def _settlements(commits: Sequence[str], releases: Sequence[str]) -> dict[str, str]:
    """Each key with what it becomes; a key both committed and released is refused."""
    if len(commits) + len(releases) > MAX_SETTLEMENTS:
        raise DomainError(
            CatalogErrorCode.TOO_MANY_LINES,
            f"at most {MAX_SETTLEMENTS} reservations per settlement",
            ["commits"],
        )
    both = set(commits) & set(releases)
    if both:
        raise DomainError(
            CatalogErrorCode.INVALID_QUANTITY,
            f"reservation {min(both)} cannot be both committed and released",
            ["releases"],
        )
    outcomes = dict.fromkeys(commits, COMMITTED)
    outcomes.update(dict.fromkeys(releases, RELEASED))
    return outcomes


async def _settle_in_transaction(
    services: CatalogServices, order_id: str, outcome: str
) -> Reservation | None:
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
