import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import event, select, text

from subgraphs.platform.database import Database
from subgraphs.platform.events import record_all_handled, record_handled
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
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while True:
        async with database.engine.connect() as probe:
            if await probe.scalar(waiting):
                return
        assert loop.time() < deadline, "the racing insert never waited on the open transaction"
        await asyncio.sleep(0.01)  # polls a condition, with the deadline above
