"""Checkout holds: stock a checkout reserved in catalog before its order exists.

A hold names the catalog reservation of one checkout (user, idempotency key).
It is written, in its own short transaction, before the reservation is asked
for, and it is claimed (deleted) by the transaction that writes the order. So:

- racing requests with one key find the same hold, hence the same reservation
  key; catalog reserves once per key, and only the request that claims the
  hold writes the order;
- a checkout that dies or gives up after reserving leaves its hold behind; the
  sweeper releases the stock of holds older than `SHOPGRAPH_CHECKOUT_HOLD_SECONDS`
  and deletes them. It locks the hold while it releases, so a late checkout
  either claims the hold first (and the sweeper finds nothing) or finds it gone
  (and writes no order on released stock).

No database connection is held while catalog is called, except by the sweeper
for the one hold it is releasing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.commerce.models import CheckoutHoldRow, OrderRow
from subgraphs.platform.columns import utc_now

if TYPE_CHECKING:
    from subgraphs.commerce.services import CommerceServices

SWEEP_BATCH = 100


@dataclass(frozen=True, slots=True)
class Hold:
    user_id: str
    idempotency_key: str
    reservation_key: str


@dataclass(frozen=True, slots=True)
class Found:
    """What a checkout finds under its key: the order made with it, else its hold."""

    order_id: str | None = None
    hold: Hold | None = None


async def order_or_hold(services: CommerceServices, user_id: str, key: str) -> Found:
    """The order already made with the key (a retry); else the checkout's hold: a new
    one with a fresh reservation key, or the one a racing request with the key wrote
    first. Neither when that hold was claimed or dropped between the two statements:
    the caller looks again.

    The hold is written only while no order has the key, so a first checkout finds
    out both in one statement, in autocommit: the hold commits on its own. Only a
    retry or a racing request reads back.
    """
    now = utc_now()
    values = {
        "user_id": user_id,
        "idempotency_key": key,
        "reservation_key": str(uuid.uuid4()),
        "expires_at": now + timedelta(seconds=services.commerce.checkout_hold_seconds),
        "created_at": now,
    }
    new_hold = _NEW_HOLD_SQLITE if services.database.is_sqlite else _NEW_HOLD_POSTGRESQL
    async with services.database.reading() as connection:
        reservation_key = await connection.scalar(new_hold, values)
        if reservation_key is not None:
            return Found(hold=Hold(user_id, key, reservation_key))
        order_id, reservation_key = (await connection.execute(_KNOWN, values)).one()
    if order_id is not None:
        return Found(order_id=order_id)
    return Found(hold=None if reservation_key is None else Hold(user_id, key, reservation_key))


_HOLDS = cast(Table, CheckoutHoldRow.__table__)
_ORDERS = cast(Table, OrderRow.__table__)
_ORDER_OF_KEY = select(_ORDERS.c.id).where(
    _ORDERS.c.user_id == bindparam("user_id"),
    _ORDERS.c.idempotency_key == bindparam("idempotency_key"),
)
_HOLD_OF_KEY = select(_HOLDS.c.reservation_key).where(
    _HOLDS.c.user_id == bindparam("user_id"),
    _HOLDS.c.idempotency_key == bindparam("idempotency_key"),
)


def _new_hold(dialect: Any) -> Any:
    """INSERT … SELECT the hold's values WHERE no order has the key, ON CONFLICT (a
    racing request's hold) DO NOTHING, RETURNING its reservation key. Built once."""
    columns = ["user_id", "idempotency_key", "reservation_key", "expires_at", "created_at"]
    values = select(*(bindparam(name, type_=_HOLDS.c[name].type) for name in columns)).where(
        ~_ORDER_OF_KEY.exists()
    )
    return (
        dialect.insert(_HOLDS)
        .from_select(columns, values)
        .on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"])
        .returning(_HOLDS.c.reservation_key)
    )


_NEW_HOLD_POSTGRESQL = _new_hold(postgresql)
_NEW_HOLD_SQLITE = _new_hold(sqlite)
# The order and the hold of a key, read in one snapshot: a hold is claimed in the
# transaction that writes its order, so one of the two shows unless it was dropped.
_KNOWN = select(_ORDER_OF_KEY.scalar_subquery(), _HOLD_OF_KEY.scalar_subquery())


async def claim_hold(session: AsyncSession, hold: Hold) -> bool:
    """Deletes the hold in the caller's transaction: True if this transaction owns it now.

    False when a racing request claimed it (and wrote the order) or the sweeper
    released it; the caller must then write no order.
    """
    result = await session.execute(_matching(hold))
    return cast(CursorResult[Any], result).rowcount == 1


async def drop_hold(services: CommerceServices, hold: Hold) -> None:
    """Forgets a hold whose reservation holds no stock (refused, or released just now)."""
    async with services.database.session() as session:
        await session.execute(_matching(hold))


async def release_abandoned_holds(services: CommerceServices) -> int:
    """Releases the stock of expired holds and deletes them; returns how many."""
    now = utc_now()
    async with services.database.session() as session:
        due = (
            await session.execute(
                select(CheckoutHoldRow.user_id, CheckoutHoldRow.idempotency_key)
                .where(CheckoutHoldRow.expires_at < now)
                .limit(SWEEP_BATCH)
            )
        ).all()
    released = 0
    for user_id, key in due:
        async with services.database.session() as session:
            row = (
                await session.scalars(
                    select(CheckoutHoldRow)
                    .where(
                        CheckoutHoldRow.user_id == user_id,
                        CheckoutHoldRow.idempotency_key == key,
                        CheckoutHoldRow.expires_at < now,
                    )
                    .with_for_update(skip_locked=True)
                )
            ).one_or_none()
            if row is None:
                continue  # claimed by its checkout, or another sweeper has it
            # Under the row lock: a checkout claiming this hold waits, then finds it gone.
            await services.catalog.release(row.reservation_key)
            await session.delete(row)
            released += 1
    return released


def _matching(hold: Hold) -> Any:
    # On the table, not the entity: the ORM's bulk-delete bookkeeping cost more CPU
    # than the statement, and no hold object is loaded in these sessions to update.
    holds = cast(Table, CheckoutHoldRow.__table__)
    return delete(holds).where(
        holds.c.user_id == hold.user_id,
        holds.c.idempotency_key == hold.idempotency_key,
        holds.c.reservation_key == hold.reservation_key,
    )
