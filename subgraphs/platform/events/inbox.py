"""The inbox: which events each consumer has already handled, for exactly-once effects.

The bus delivers at least once. A consumer calls `record_handled` in the same
transaction as its effect; if the event was handled before, it gets False and
skips the effect, and if the transaction rolls back the record goes with it, so
the redelivery is handled again. On PostgreSQL a consumer may rather put the
record in its own first statement (`new_events_recorded`), saving a round trip.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Column,
    CursorResult,
    Insert,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from subgraphs.platform.columns import UTCDateTime


def inbox_table(metadata: MetaData) -> Table:
    """Define the `inbox` table on a subgraph's own metadata."""
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(200), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("handled_at", UTCDateTime(), nullable=False),
    )


async def record_handled(
    session: AsyncSession, table: Table, consumer: str, event_id: uuid.UUID
) -> bool:
    """Record that `consumer` handled `event_id`; False if it already had."""
    values = {"consumer": consumer, "event_id": str(event_id), "handled_at": datetime.now(UTC)}
    statement = _insert_new(session, table).values(values)
    result = cast(CursorResult[Any], await session.execute(statement))
    return result.rowcount == 1


async def record_all_handled(
    session: AsyncSession | AsyncConnection,
    table: Table,
    consumer: str,
    event_ids: Sequence[uuid.UUID],
) -> set[uuid.UUID]:
    """`record_handled` for many events in one statement: the ids not handled before.

    In the transaction of the effect (a session), or alone (a connection, such as
    `Database.reading()` in autocommit) for an effect made elsewhere first."""
    if not event_ids:
        return set()
    now = datetime.now(UTC)
    rows = [{"consumer": consumer, "event_id": key, "handled_at": now} for key in _keys(event_ids)]
    # The rows as parameters, not in the statement: SQLAlchemy sends them as one
    # INSERT all the same, and compiles the statement once, whatever the batch's size.
    statement = _insert_new(session, table).returning(table.c.event_id)
    return {uuid.UUID(event_id) for event_id in await session.scalars(statement, rows)}


def new_events_recorded(table: Table) -> ReturningInsert[str]:
    """PostgreSQL: records the events `inbox_parameters` gives, as `record_all_handled`
    does, returning the ids not handled before (`event_id`, as text).

    For a consumer to make a CTE of, in the statement that reads what its effect needs
    (the ids it returns tell which events to act on): recording and reading in one round
    trip. The ids come as one array, so the statement's text is the same whatever the
    batch's size: built once, and prepared once per connection."""
    given = (
        func.unnest(bindparam("inbox_event_ids", type_=ARRAY(table.c.event_id.type)))
        .table_valued("event_id", with_ordinality="position")
        .render_derived(name="given")
    )
    rows = select(
        bindparam("inbox_consumer", type_=table.c.consumer.type),
        given.c.event_id,
        bindparam("inbox_handled_at", type_=table.c.handled_at.type),
    ).order_by(given.c.position)  # the order of `_keys`: see there
    return (
        postgresql.insert(table)
        .from_select(["consumer", "event_id", "handled_at"], rows)
        .on_conflict_do_nothing(index_elements=[table.c.consumer, table.c.event_id])
        .returning(table.c.event_id)
    )


def inbox_parameters(consumer: str, event_ids: Sequence[uuid.UUID]) -> dict[str, Any]:
    """The parameters of `new_events_recorded`."""
    return {
        "inbox_consumer": consumer,
        "inbox_event_ids": _keys(event_ids),
        "inbox_handled_at": datetime.now(UTC),
    }


def _keys(event_ids: Sequence[uuid.UUID]) -> list[str]:
    """The inbox keys of `event_ids`, once each and sorted.

    Sorted, because PostgreSQL locks each key as it inserts it, in the order given: two
    batches holding the same redelivered events in opposite orders would each take one
    and wait on the other's (a deadlock, broken by failing one of them). In one order
    for every batch, the second waits on the first without holding what it needs."""
    return sorted({str(event_id) for event_id in event_ids})


def _insert_new(session: AsyncSession | AsyncConnection, table: Table) -> Insert:
    """An INSERT into the inbox that skips the rows already there.

    ON CONFLICT DO NOTHING rather than check-then-insert: two deliveries of one
    event racing in two transactions cannot both see "not handled yet" — the
    second insert waits on the first's key and then inserts nothing.
    """
    keys = [table.c.consumer, table.c.event_id]
    bind = session.get_bind() if isinstance(session, AsyncSession) else session
    if bind.dialect.name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)
    return postgresql.insert(table).on_conflict_do_nothing(index_elements=keys)
