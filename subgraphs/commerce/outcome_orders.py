"""The orders of payment outcomes, as the outcome consumer (background.py) and the payments
worker lock and move them.

- `lock_outcome_orders` records a batch of outcomes in the inbox and locks the
  orders of those not handled before, in id order (two batches never deadlock),
  read as plain rows. On PostgreSQL that is one statement: the inbox INSERT is a
  CTE of the locking SELECT, whose rows also say which outcomes were new.
- `move_outcome_orders` moves the orders to their new statuses and writes their
  events. On PostgreSQL that is one statement too: an UPDATE from arrays of ids
  and statuses, as a CTE of the INSERT of the events.
Both run in the consumer's transaction, which holds the order locks across
catalog's settle call between them: with BEGIN and COMMIT, four round trips a
batch, whatever its size. Every statement's text is the same whatever the batch
(values as arrays), so each is built once and prepared once per connection.
SQLite has no data-modifying CTEs: there the same work takes two statements each,
under the lock BEGIN IMMEDIATE took for the whole transaction.

The payments worker moves orders with `move_outcome_orders` too, in the
transaction that records their outcomes. It locks them with `lock_orders`,
without the inbox: it knows an outcome is new from its payment's status.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

from sqlalchemy import Row, String, Table, any_, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.commerce.domain import OrderStatus
from subgraphs.commerce.models import OrderRow, inbox, outbox
from subgraphs.platform.columns import utc_now
from subgraphs.platform.events import Event, record_all_handled
from subgraphs.platform.events.inbox import inbox_parameters, new_events_recorded
from subgraphs.platform.events.outbox import (
    event_arrays,
    insert_events_of_subjects,
    outbox_rows,
)

_ORDERS = cast(Table, OrderRow.__table__)  # a declarative model's table is a Table
# What a payment outcome needs of its order.
_COLUMNS = (
    _ORDERS.c.id,
    _ORDERS.c.user_id,
    _ORDERS.c.status,
    _ORDERS.c.total_amount,
    _ORDERS.c.currency,
    _ORDERS.c.reservation_key,
    _ORDERS.c.current_payment_id,
)

# An order as locked: id, user_id, status, total_amount, currency, reservation_key and
# current_payment_id, by name.
LockedOrder: TypeAlias = Row[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class LockedOutcomes:
    """The outcomes of a batch not handled before, and their orders as now locked."""

    fresh: set[uuid.UUID]
    orders: dict[str, LockedOrder]


def _lock_recording_statement() -> Any:
    """PostgreSQL: record the outcomes in the inbox, lock the orders of the new ones, and
    return a row per new outcome with its order's columns (NULL for an unknown order).

    The orders are locked in a CTE of their own (an outer join may not lock its nullable
    side), sorted by id. Every order it locks is named by a new outcome, so the outer
    join reads all of it. The inbox rows go first, in their own sorted order: the lock
    reads which outcomes are new."""
    handled = new_events_recorded(inbox).cte("handled")
    named = (
        func.unnest(
            bindparam("outcome_event_ids", type_=ARRAY(String)),
            bindparam("outcome_order_ids", type_=ARRAY(String)),
        )
        .table_valued("event_id", "order_id")
        .render_derived(name="named")
    )
    outcome = (
        select(named.c.event_id, named.c.order_id)
        .join(handled, handled.c.event_id == named.c.event_id)
        .cte("outcome")
    )
    locked = (
        select(*_COLUMNS)
        .where(_ORDERS.c.id.in_(select(outcome.c.order_id)))
        .order_by(_ORDERS.c.id)
        .with_for_update()
        .cte("locked")
    )
    return select(outcome.c.event_id, *locked.c).select_from(
        outcome.outerjoin(locked, locked.c.id == outcome.c.order_id)
    )


_LOCK_RECORDING = _lock_recording_statement()
# Orders by id, locked in id order: on PostgreSQL from an array (one text whatever the
# count), on SQLite from a list, unlocked (BEGIN IMMEDIATE locked the whole database).
_LOCK = {
    "postgresql": select(*_COLUMNS)
    .where(_ORDERS.c.id == any_(bindparam("order_ids", type_=ARRAY(String))))
    .order_by(_ORDERS.c.id)
    .with_for_update(),
    "sqlite": select(*_COLUMNS)
    .where(_ORDERS.c.id.in_(bindparam("order_ids", expanding=True)))
    .order_by(_ORDERS.c.id),
}


async def lock_orders(
    connection: AsyncConnection, order_ids: Collection[str]
) -> dict[str, LockedOrder]:
    """Locks the orders of `order_ids` that exist, in id order (two transactions never
    deadlock on them), and returns them by id. The payments worker's transaction locks
    its orders so, with no inbox: there the payment's own status says whether its
    outcome is new."""
    statement = _LOCK[connection.dialect.name]
    rows = await connection.execute(statement, {"order_ids": sorted(set(order_ids))})
    return {row.id: row for row in rows}


async def lock_outcome_orders(
    connection: AsyncConnection, consumer: str, outcomes: Sequence[tuple[uuid.UUID, str]]
) -> LockedOutcomes:
    """Records the outcomes (event id, order id) as handled by `consumer` and locks the
    orders of those that were new. A rollback of the transaction forgets both."""
    if not outcomes:
        return LockedOutcomes(set(), {})
    named = dict(outcomes)  # a copy of an event names the same order
    if connection.dialect.name == "sqlite":
        fresh = await record_all_handled(connection, inbox, consumer, list(named))
        orders = await lock_orders(connection, [named[event_id] for event_id in fresh])
        return LockedOutcomes(fresh, orders)
    parameters = {
        **inbox_parameters(consumer, list(named)),
        "outcome_event_ids": [str(event_id) for event_id in named],
        "outcome_order_ids": list(named.values()),
    }
    result = await connection.execute(_LOCK_RECORDING, parameters)
    fresh, orders = set(), {}
    for row in result:
        fresh.add(uuid.UUID(row.event_id))
        if row.id is not None:
            orders[row.id] = row
    return LockedOutcomes(fresh, orders)


def _move_statement(*, announce: bool) -> Any:
    """PostgreSQL: move each order (locked by this transaction) to its status and write the
    events of the orders moved, in one statement."""
    given = (
        func.unnest(
            bindparam("move_order_ids", type_=ARRAY(String)),
            bindparam("move_statuses", type_=ARRAY(String)),
        )
        .table_valued("id", "status")
        .render_derived(name="move")
    )
    moved = (
        update(_ORDERS)
        .where(_ORDERS.c.id == given.c.id)
        .values(
            status=given.c.status,
            updated_at=bindparam("moved_at", type_=_ORDERS.c.updated_at.type),
        )
        .returning(_ORDERS.c.id)
        .cte("moved")
    )
    return insert_events_of_subjects(outbox, select(moved.c.id), announce=announce).add_cte(moved)


_MOVES = {announce: _move_statement(announce=announce) for announce in (False, True)}


async def move_outcome_orders(
    connection: AsyncConnection,
    statuses: Mapping[str, OrderStatus],
    events: Sequence[Event],
    *,
    announce: bool,
) -> None:
    """Moves each order of `statuses` to its status, with the events of the moves (whose
    subjects are the orders). With `announce`, as `add_to_outbox(announce=)` (PostgreSQL
    alone announces)."""
    if not statuses:
        return
    now = utc_now()
    if connection.dialect.name == "sqlite":
        by_status: dict[OrderStatus, list[str]] = {}
        for order_id, status in statuses.items():
            by_status.setdefault(status, []).append(order_id)
        for status, order_ids in by_status.items():
            await connection.execute(
                update(_ORDERS)
                .where(_ORDERS.c.id.in_(order_ids))
                .values(status=status.value, updated_at=now)
            )
        await connection.execute(insert(outbox), outbox_rows(events))
        return
    parameters = {
        "move_order_ids": list(statuses),
        "move_statuses": [status.value for status in statuses.values()],
        "moved_at": now,
        **event_arrays(events),
    }
    await connection.execute(_MOVES[announce], parameters)
