import asyncio
import uuid

import pytest
from sqlalchemy import select

from subgraphs.platform.database import Database
from subgraphs.platform.events import record_handled
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
        # A redelivery of the same event, handled while the first is uncommitted.
        racing = asyncio.create_task(record(database, tables, "payments", event_id))
        await asyncio.sleep(0.05)
        assert not racing.done()  # it waits for the first transaction to decide

    assert await asyncio.wait_for(racing, 5) is False
    assert await inbox_rows(database, tables) == {("payments", str(event_id))}
