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

from sqlalchemy import CursorResult, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.commerce.models import CheckoutHoldRow
from subgraphs.platform.columns import utc_now

if TYPE_CHECKING:
    from subgraphs.commerce.services import CommerceServices

SWEEP_BATCH = 100


@dataclass(frozen=True, slots=True)
class Hold:
    user_id: str
    idempotency_key: str
    reservation_key: str


async def take_hold(services: CommerceServices, user_id: str, key: str) -> Hold | None:
    """The checkout's hold: a new one with a fresh reservation key, or the one a racing
    request with the same key wrote first. None if that one was claimed or released
    between the two statements: the caller looks for the order again."""
    now = utc_now()
    values = {
        "user_id": user_id,
        "idempotency_key": key,
        "reservation_key": str(uuid.uuid4()),
        "expires_at": now + timedelta(seconds=services.commerce.checkout_hold_seconds),
        "created_at": now,
    }
    dialect = sqlite if services.database.is_sqlite else postgresql
    statement = (
        dialect.insert(CheckoutHoldRow)
        .values(values)
        .on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"])
        .returning(CheckoutHoldRow.reservation_key)
    )
    # One statement, in autocommit: the hold commits on its own, as before, in one
    # round trip instead of four. Only a racing request with this key reads back.
    async with services.database.reading() as connection:
        reservation_key = await connection.scalar(statement)
        if reservation_key is None:
            reservation_key = await connection.scalar(
                select(CheckoutHoldRow.reservation_key).where(
                    CheckoutHoldRow.user_id == user_id, CheckoutHoldRow.idempotency_key == key
                )
            )
    return None if reservation_key is None else Hold(user_id, key, reservation_key)


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
