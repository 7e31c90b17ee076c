"""The transactional outbox: events written with the change, published after commit.

A writer calls `add_to_outbox` inside the transaction that makes its change, so
the event exists exactly when the change does, and `relay.notify()` after it
committed. A change made in one statement on PostgreSQL may carry its events in
that statement instead (`insert_events_of_subjects`), for just the rows it changed.
`OutboxRelay` moves committed rows to the bus and marks them sent.
When `SHOPGRAPH_OUTBOX_RELAY` is `worker` (PostgreSQL), the relay of the
writer's process does not run, and `notify()` sends `NOTIFY shopgraph_outbox`
with the subgraph's schema name instead, in a statement of its own: the relays
of `shopgraph worker outbox` (outbox_worker.py) listen and wake at once rather
than polling. Not inside the writer's transaction: PostgreSQL serialises the
commits of notifying transactions, and a reservation would hold its product
rows all that while. A notification lost in a crash only waits for the poll.

Delivery is at least once: a crash between publishing and marking republishes
a batch, which consumers absorb through the inbox. A bus that is down only
delays events; rows stay in the outbox with their attempts and last error
until a publish succeeds.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import ReturningInsert, Update

from subgraphs.platform.columns import UTCDateTime
from subgraphs.platform.database import Database
from subgraphs.platform.events.bus import EventBus
from subgraphs.platform.events.envelope import Event
from subgraphs.platform.events.subscriptions import GroupDeclarations

logger = logging.getLogger(__name__)

_MAX_ERROR_CHARS = 2000
# One channel for every subgraph; the payload names the subgraph (its schema).
NOTIFY_CHANNEL = "shopgraph_outbox"
_NOTIFY = text(f"SELECT pg_notify('{NOTIFY_CHANNEL}', current_schema())")


def outbox_table(metadata: MetaData) -> Table:
    """Define the `outbox` table on a subgraph's own metadata."""
    table = Table(
        "outbox",
        metadata,
        Column("id", Uuid(as_uuid=True), primary_key=True),
        Column("type", String(200), nullable=False),
        Column("version", Integer, nullable=False),
        Column("occurred_at", UTCDateTime(), nullable=False),
        Column("subject_id", String(200), nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("sent_at", UTCDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
    )
    # The relay only ever scans unsent rows; keep that index small as sent rows pile up.
    Index(
        "ix_outbox_unsent",
        table.c.created_at,
        postgresql_where=table.c.sent_at.is_(None),
        sqlite_where=table.c.sent_at.is_(None),
    )
    return table


async def add_to_outbox(
    session: AsyncSession, table: Table, events: Sequence[Event], *, announce: bool = False
) -> None:
    """Insert `events` in the caller's transaction; they are published only if it commits.

    With `announce` (PostgreSQL; see `OutboxRelay.announces`), the INSERT itself
    notifies the relays of `shopgraph worker outbox`: PostgreSQL delivers the
    notification when the transaction commits (one per transaction, however many
    rows), so the writer's `relay.notify()` after the commit, a statement and a
    pooled connection of its own, is not needed. For writers whose transaction
    holds nothing others wait on (the workers' batches): a notifying commit is
    serialised with the other notifying commits.
    """
    if not events:
        return
    statement = insert(table)
    if announce:
        statement = statement.returning(func.pg_notify(NOTIFY_CHANNEL, func.current_schema()))
    await session.execute(statement, outbox_rows(events))


# The columns an event fills; the relay's own (sent_at, attempts, last_error) start empty.
_EVENT_COLUMNS = ("id", "type", "version", "occurred_at", "subject_id", "payload", "created_at")


def insert_events_of_subjects(
    table: Table, subjects: Select[Any], *, announce: bool = False
) -> ReturningInsert[Any]:
    """An INSERT, on PostgreSQL, of the events `event_arrays(events)` gives as parameters,
    keeping only those whose subject is among `subjects` (a one-column SELECT, such as of
    a data-modifying CTE's RETURNING, which the caller adds to the statement).

    So a change that may find nothing left to change (a row another transaction moved
    first) writes its events only for what it did change, in its own statement: one
    round trip in autocommit, where a transaction took BEGIN, the change, the INSERT and
    COMMIT. The events come as one array per column, so the statement's text is the same
    whatever the batch's size: built once, and prepared once per connection. It returns
    a row per event written, with its `subject_id`; with `announce`, it notifies as
    `add_to_outbox` does.
    """
    given = (
        func.unnest(
            *(
                bindparam(f"event_{name}", type_=ARRAY(table.c[name].type))
                for name in _EVENT_COLUMNS
            )
        )
        .table_valued(*_EVENT_COLUMNS)
        .render_derived(name="event")
    )
    kept = select(*(given.c[name] for name in _EVENT_COLUMNS), literal(0)).where(
        given.c.subject_id.in_(subjects)
    )
    statement = insert(table).from_select([*_EVENT_COLUMNS, "attempts"], kept)
    if announce:
        notify = func.pg_notify(NOTIFY_CHANNEL, func.current_schema())
        return statement.returning(table.c.subject_id, notify)
    return statement.returning(table.c.subject_id)


def event_arrays(events: Sequence[Event]) -> dict[str, list[Any]]:
    """The parameters of `insert_events_of_subjects`: each column of `outbox_rows(events)`."""
    rows = outbox_rows(events)
    return {f"event_{name}": [row[name] for row in rows] for name in _EVENT_COLUMNS}


def outbox_rows(events: Sequence[Event]) -> list[dict[str, Any]]:
    """The outbox rows of `events`, for a statement that writes them itself."""
    now = datetime.now(UTC)
    return [
        {
            "id": event.id,
            "type": event.type,
            "version": event.version,
            "occurred_at": event.occurred_at,
            "subject_id": event.subject_id,
            "payload": orjson.dumps(event.payload).decode(),
            # created_at is the publish order; a microsecond apart per event keeps
            # the events of one transaction in the order they were added.
            "created_at": now + timedelta(microseconds=position),
            "attempts": 0,
        }
        for position, event in enumerate(events)
    ]


class OutboxRelay:
    """Moves committed outbox rows of one subgraph to the bus.

    `relay_once` raises when the bus fails (after recording the failure on the
    rows), so a caller sees the error; `run` logs it and retries on the next poll.

    With `declarations`, the first pass declares every registered consumer group
    before it takes a row (subscriptions.py): an event published before its group
    existed would be lost for that group, and every event goes through a relay.
    """

    def __init__(
        self,
        database: Database,
        table: Table,
        bus: EventBus,
        *,
        declarations: GroupDeclarations | None = None,
    ) -> None:
        self._database = database
        self._table = table
        self._bus = bus
        self._declarations = declarations
        self._waiting = _next_batch(table, skip_locked=not database.is_sqlite)
        self._take = _take_statement(self._waiting, table)
        self._wakeup = asyncio.Event()
        self._running = False
        self._announcing: asyncio.Task[None] | None = None
        self._announce_again = False

    @property
    def announces(self) -> bool:
        """Whether `notify()` would tell `shopgraph worker outbox` through PostgreSQL, so
        that a writer may rather announce in its transaction (`add_to_outbox(announce=)`)."""
        return self._database.announces_outbox and not self._running

    def notify(self) -> None:
        """Wake `run` now, right after a transaction that added events committed; when
        the relay runs in `shopgraph worker outbox` instead, tell it through PostgreSQL."""
        if self._running or not self._database.announces_outbox:
            self._wakeup.set()
            return
        # One NOTIFY at a time; those asked for meanwhile fold into one more.
        if self._announcing is not None and not self._announcing.done():
            self._announce_again = True
            return
        self._announcing = asyncio.ensure_future(self._announce())

    async def _announce(self) -> None:
        again = True
        while again:
            self._announce_again = False
            try:
                async with self._database.reading() as connection:
                    await connection.execute(_NOTIFY)
            except Exception as error:  # noqa: BLE001 - the worker's poll catches up
                logger.warning(
                    "could not announce outbox events of %s (%s: %s); the worker polls",
                    self._database.subgraph,
                    type(error).__name__,
                    error,
                )
                return
            again = self._announce_again

    async def relay_once(self, limit: int = 100) -> int:
        """Publish up to `limit` unsent events, oldest first; return how many were sent."""
        if self._declarations is not None:
            try:
                await self._declarations.ensure()
            except Exception as error:
                # The broker is down: the rows wait, and say why, as for a failed publish.
                await self._record_failure(self._waiting, error, {"limit": limit})
                raise
        ids: list[uuid.UUID] = []
        parameters = {"sent_at": datetime.now(UTC), "limit": limit}
        try:
            # Lock, publish and mark in one transaction. That is not publishing from
            # inside a transaction that may roll back: the writer committed these rows
            # long before. The transaction only holds the rows so no other relay takes
            # them; if it rolls back after publishing, the rows are published again,
            # which is the at-least-once promise consumers already handle.
            # A Core connection, not an ORM session: the relay maps nothing, and the
            # session's own bookkeeping around BEGIN and COMMIT cost about a fifth of a pass.
            async with self._database.engine.begin() as connection:
                rows = sorted(
                    (await connection.execute(self._take, parameters)).all(),
                    key=lambda row: (row.created_at, row.id),
                )
                if not rows:
                    return 0
                ids = [row.id for row in rows]
                await self._bus.publish([event_of_row(row) for row in rows])
        except Exception as error:
            if ids:
                await self._record_failure(ids, error)
            raise
        return len(ids)

    async def run(
        self,
        stop: asyncio.Event,
        poll_interval: float = 1.0,
        limit: int = 100,
        *,
        gather_seconds: float = 0.0,
    ) -> None:
        """Relay until `stop` is set: whenever notified, else every `poll_interval` seconds.

        With `gather_seconds`, a notification is followed by that short wait before
        relaying, so that the commits of the next moments share one pass (a transaction
        and a publish) instead of waking the relay one by one.
        """
        self._running = True
        try:
            await self._relay_until(stop, poll_interval, limit, gather_seconds)
        finally:
            self._running = False

    async def _relay_until(
        self, stop: asyncio.Event, poll_interval: float, limit: int, gather_seconds: float
    ) -> None:
        while not stop.is_set():
            try:
                sent = await self.relay_once(limit)
            except Exception:
                logger.warning(
                    "outbox relay of %s failed; the events stay in the outbox and are retried",
                    self._database.subgraph,
                    exc_info=True,
                )
                # Back off for a full interval: a notify per commit must not hammer
                # a broker that is down.
                await _wait_any([stop], poll_interval)
                continue
            if sent == limit:
                continue  # probably more waiting; do not sleep on a backlog
            await _wait_any([stop, self._wakeup], poll_interval)
            if gather_seconds > 0 and self._wakeup.is_set() and not stop.is_set():
                await _wait_any([stop], gather_seconds)
            # Cleared after waking and before relaying, so a notify that arrives
            # during the next relay_once is not lost: it wakes the following wait.
            self._wakeup.clear()

    @asynccontextmanager
    async def running(
        self, poll_interval: float = 1.0, *, enabled: bool = True, gather_seconds: float = 0.0
    ) -> AsyncIterator[None]:
        """Relay in the background for as long as the block runs (a subgraph's lifespan).

        Not `enabled` (`SHOPGRAPH_OUTBOX_RELAY=worker`), the block runs without it:
        `shopgraph worker outbox` relays from processes of its own.
        """
        if not enabled:
            try:
                yield
            finally:
                if self._announcing is not None:
                    await self._announcing
            return
        stop = asyncio.Event()
        task = asyncio.create_task(
            self.run(stop, poll_interval, gather_seconds=gather_seconds), name="outbox-relay"
        )
        try:
            yield
        finally:
            stop.set()
            await task

    async def _record_failure(
        self,
        ids: list[uuid.UUID] | Select[tuple[uuid.UUID]],
        error: Exception,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        """Counts a failed attempt, and why, on the unsent rows of `ids` (a list, or a
        query with its `parameters`)."""
        table = self._table
        async with self._database.session() as session:
            await session.execute(
                update(table)
                .where(table.c.id.in_(ids), table.c.sent_at.is_(None))
                .values(
                    attempts=table.c.attempts + 1,
                    last_error=f"{type(error).__name__}: {error}"[:_MAX_ERROR_CHARS],
                ),
                parameters or {},
            )


def _next_batch(table: Table, *, skip_locked: bool) -> Select[tuple[uuid.UUID]]:
    """The ids of the next `limit` unsent rows, oldest first, skipping those another
    relay holds."""
    batch = (
        select(table.c.id)
        .where(table.c.sent_at.is_(None))
        .order_by(table.c.created_at, table.c.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if skip_locked:
        # Concurrent relays each take a different batch instead of waiting on,
        # or both publishing, the same rows. SQLite needs no row locks: every
        # session starts with BEGIN IMMEDIATE, so relays there run one at a time.
        batch = batch.with_for_update(skip_locked=True)
    return batch


def _take_statement(batch: Select[tuple[uuid.UUID]], table: Table) -> Update:
    """Takes a batch of unsent rows and marks them sent in one statement; `sent_at` and
    `limit` are parameters, so the statement is built and its cache key made once per
    relay rather than on every pass.

    The batch is taken and marked sent in one statement, then published, in one
    transaction: a publish that fails rolls the mark back.
    """
    return (
        update(table)
        .where(table.c.id.in_(batch.scalar_subquery()))
        .values(
            sent_at=bindparam("sent_at", type_=table.c.sent_at.type),
            attempts=table.c.attempts + 1,
        )
        .returning(*table.c)
    )


def event_of_row(row: Row[Any]) -> Event:
    """The event an outbox row holds."""
    return Event(
        id=row.id,
        type=row.type,
        version=row.version,
        occurred_at=row.occurred_at,
        subject_id=row.subject_id,
        payload=orjson.loads(row.payload),
    )


async def _wait_any(events: list[asyncio.Event], seconds: float) -> None:
    """Return when any of `events` is set or `seconds` have passed."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
