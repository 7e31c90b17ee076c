import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import Table, event, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.platform.database import Database
from subgraphs.platform.events import record_all_handled, record_handled
from subgraphs.platform.events.inbox import inbox_parameters, new_events_recorded
from tests.subgraphs.platform.events.conftest import EventTables


async def record(
    database: Database, tables: EventTables, consumer: str, event_id: uuid.UUID
) -> bool:
    async with database.session() as session:
        return await record_handled(session, tables.inbox, consumer, event_id)


async def inbox_rows(database: Database, tables: EventTables) -> set[tuple[str, str]]:
    table = tables.inbox
    async with database.session() as session:
        rows = (await session.execute(select(table.c.consumer, table.c.event_id))).all()
    return {(row.consumer, row.event_id) for row in rows}


async def test_an_event_is_handled_once_per_consumer(
    database: Database, tables: EventTables
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()

    outcomes = [
        await record(database, tables, "payments", first),
        await record(database, tables, "payments", first),
        await record(database, tables, "analytics", first),
        await record(database, tables, "payments", second),
        await record(database, tables, "analytics", first),
    ]

    assert outcomes == [True, False, True, True, False]
    assert await inbox_rows(database, tables) == {
        ("payments", str(first)),
        ("analytics", str(first)),
        ("payments", str(second)),
    }


async def test_many_recorded_in_one_statement_are_the_new_ones(
    database: Database, tables: EventTables
) -> None:
    before, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert await record(database, tables, "payments", before)

    async with database.session() as session:
        fresh = await record_all_handled(
            session, tables.inbox, "payments", [first, before, second, first]
        )
        again = await record_all_handled(session, tables.inbox, "payments", [first, second])
        none = await record_all_handled(session, tables.inbox, "payments", [])

    assert (fresh, again, none) == ({first, second}, set(), set())
    assert await inbox_rows(database, tables) == {
        ("payments", str(before)),
        ("payments", str(first)),
        ("payments", str(second)),
    }


async def test_a_record_rolls_back_with_the_effect(database: Database, tables: EventTables) -> None:
    event_id = uuid.uuid4()

    async def handle_and_fail() -> None:
        async with database.session() as session:
            assert await record_handled(session, tables.inbox, "payments", event_id)
            raise RuntimeError("effect failed")

    with pytest.raises(RuntimeError, match="effect failed"):
        await handle_and_fail()

    assert await inbox_rows(database, tables) == set()
    assert await record(database, tables, "payments", event_id) is True


async def test_racing_deliveries_of_one_event_are_handled_once(
    database: Database, tables: EventTables
) -> None:
    event_id = uuid.uuid4()
    async with database.session() as session:
        assert await record_handled(session, tables.inbox, "payments", event_id)
        issued = _next_statement(database)
        # A redelivery of the same event, handled while the first is uncommitted.
        racing = asyncio.create_task(record(database, tables, "payments", event_id))
        await _blocked_behind_a_transaction(database, issued)
        assert not racing.done()  # it waits for the first transaction to decide

    assert await asyncio.wait_for(racing, 5) is False
    assert await inbox_rows(database, tables) == {("payments", str(event_id))}


def _next_statement(database: Database) -> asyncio.Event:
    """Set when the engine next sends a statement: the racing transaction's first."""
    issued = asyncio.Event()

    def seen(*_: Any) -> None:
        issued.set()

    event.listen(database.engine.sync_engine, "before_cursor_execute", seen, once=True)
    return issued


async def _blocked_behind_a_transaction(database: Database, issued: asyncio.Event) -> None:
    """Returns once the racing transaction waits on the open one, not after a guessed pause.

    SQLite: its first statement is BEGIN IMMEDIATE, which cannot finish while the
    open transaction holds the write lock. PostgreSQL: the server reports it waiting
    on a lock.
    """
    await asyncio.wait_for(issued.wait(), 10)
    if database.is_sqlite:
        return
    await _lock_waits(database, 1)


# In string order: ONE < GATE < TWO. The ids a batch records are locked one by one as
# they are inserted, so the order of insertion is the order of locking.
ONE = uuid.UUID("10000000-0000-4000-8000-000000000000")
GATE = uuid.UUID("20000000-0000-4000-8000-000000000000")
TWO = uuid.UUID("30000000-0000-4000-8000-000000000000")


async def record_in_a_statement(
    session: AsyncSession, table: Table, consumer: str, event_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """`new_events_recorded` as a statement of its own (a consumer makes it a CTE)."""
    statement = new_events_recorded(table)
    recorded = await session.scalars(statement, inbox_parameters(consumer, event_ids))
    return {uuid.UUID(event_id) for event_id in recorded}


Recorder = Callable[[AsyncSession, Table, str, Sequence[uuid.UUID]], Awaitable[set[uuid.UUID]]]


@pytest.mark.parametrize("backend", ["postgres"])  # row locks; SQLite writes one at a time
@pytest.mark.parametrize("recorder", [record_all_handled, record_in_a_statement])
async def test_batches_of_the_same_events_in_opposite_orders_do_not_deadlock(
    database: Database, tables: EventTables, recorder: Recorder
) -> None:
    """Two batches hold the same redelivered events, in opposite orders of arrival.

    Inserted in arrival order, batch A would take ONE and wait (here on GATE, which a
    third transaction holds, so that the interleaving is certain), batch B would take
    TWO and wait on A's ONE, and A, let through, would wait on B's TWO: a deadlock,
    which PostgreSQL breaks after `deadlock_timeout` by failing one of them. Inserted
    in one order, B's first key is ONE too, so B waits on A without holding anything A
    needs, and goes on (finding both handled) once A commits."""

    async def batch(event_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        async with database.session() as session:
            return await recorder(session, tables.inbox, "payments", event_ids)

    async with database.session() as gate:
        assert await record_handled(gate, tables.inbox, "payments", GATE)
        first = asyncio.create_task(batch([ONE, GATE, TWO]))
        await _lock_waits(database, 1)  # A holds ONE and waits on GATE
        second = asyncio.create_task(batch([TWO, ONE]))
        await _lock_waits(database, 2)  # B waits on ONE (and holds TWO, unsorted)

    handled_first, handled_second = await asyncio.wait_for(asyncio.gather(first, second), 30)

    assert (handled_first, handled_second) == ({ONE, TWO}, set())
    assert await inbox_rows(database, tables) == {
        ("payments", str(event_id)) for event_id in (ONE, GATE, TWO)
    }


async def _lock_waits(database: Database, count: int) -> None:
    """Returns once at least `count` backends of this database wait on a lock."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while True:
        async with database.engine.connect() as probe:
            if await probe.scalar(waiting) >= count:
                return
        assert loop.time() < deadline, f"{count} transactions never waited on a lock"
        await asyncio.sleep(0.01)  # polls a condition, with the deadline above
