"""The outbox worker on PostgreSQL: woken by NOTIFY on commit, safe with several running."""

import asyncio
from collections import Counter

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
import pytest

from subgraphs.platform.database import Database, asyncpg_dsn
from subgraphs.platform.events import Event, OutboxRelay, add_to_outbox, outbox_worker
from subgraphs.platform.events.outbox import NOTIFY_CHANNEL
from subgraphs.platform.events.outbox_worker import OutboxListener, running_outbox_relays
from subgraphs.platform.settings import Settings
from tests.subgraphs.platform.events.conftest import EventTables
from tests.subgraphs.platform.events.test_outbox import FlakyBus, outbox_rows, placed, write

WAIT = 10.0


@pytest.fixture
def backend() -> str:
    """LISTEN/NOTIFY and SKIP LOCKED are PostgreSQL's; SQLite deployments relay in-process."""
    return "postgres"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """As deployed with the worker: writers announce their outbox rows after commit."""
    return settings.model_copy(update={"outbox_relay": "worker"})


@pytest.fixture(autouse=True)
def no_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a notification can wake a relay within a test's time."""
    monkeypatch.setattr(outbox_worker, "FALLBACK_POLL_SECONDS", 3600.0)
    monkeypatch.setattr(outbox_worker, "RECONNECT_SECONDS", 0.1)


async def published_all(buses: list[FlakyBus], expected: int) -> None:
    while sum(len(bus.published) for bus in buses) < expected:
        waiters = [asyncio.ensure_future(bus.delivered.wait()) for bus in buses]
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for bus, waiter in zip(buses, waiters, strict=True):
            waiter.cancel()
            bus.delivered.clear()


def database_url(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url


async def test_two_workers_woken_by_commits_publish_every_event_exactly_once(
    settings: Settings, database: Database, tables: EventTables
) -> None:
    buses = [FlakyBus(delay=0.002), FlakyBus(delay=0.002)]
    relays = [OutboxRelay(database, tables.outbox, bus) for bus in buses]
    url = database_url(settings)
    # The writer's side, as in a subgraph process: its relay does not run, it announces.
    writer = OutboxRelay(database, tables.outbox, FlakyBus())

    async def commit(events: list[Event]) -> None:
        await write(database, tables, events)
        writer.notify()

    async with (
        running_outbox_relays(url, {database.subgraph: relays[0]}) as first,
        running_outbox_relays(url, {database.subgraph: relays[1]}) as second,
        writer.running(enabled=False),
    ):
        await asyncio.wait_for(first.listening.wait(), WAIT)
        await asyncio.wait_for(second.listening.wait(), WAIT)
        events = [placed(n) for n in range(90)]
        # Thirty commits, each announced; both workers take turns on them.
        await asyncio.gather(*(commit(events[n : n + 3]) for n in range(0, 90, 3)))
        await asyncio.wait_for(published_all(buses, len(events)), WAIT)

    published = Counter(event.id for bus in buses for event in bus.published)
    assert published == Counter(event.id for event in events)
    assert await outbox_rows(database, tables) == [(e.id, True, 1, None) for e in events]


async def test_a_worker_listens_again_after_its_connection_is_cut(
    settings: Settings, database: Database, tables: EventTables
) -> None:
    bus = FlakyBus()
    relay = OutboxRelay(database, tables.outbox, bus)
    url = database_url(settings)
    writer = OutboxRelay(database, tables.outbox, FlakyBus())
    async with (
        running_outbox_relays(url, {database.subgraph: relay}) as listener,
        writer.running(enabled=False),
    ):
        await asyncio.wait_for(listener.listening.wait(), WAIT)
        await cut_listening_connections(url)
        await asyncio.wait_for(until_cleared(listener), WAIT)
        await asyncio.wait_for(listener.listening.wait(), WAIT)
        event = placed(1)
        await write(database, tables, [event])
        writer.notify()
        await asyncio.wait_for(published_all([bus], 1), WAIT)

    assert bus.published == [event]


async def test_a_transaction_that_announces_its_rows_wakes_the_worker_when_it_commits(
    settings: Settings, database: Database, tables: EventTables
) -> None:
    """`add_to_outbox(announce=True)`: no `notify()` after the commit; the notification
    comes with the commit, and only then (a rolled-back one announces nothing)."""
    bus = FlakyBus()
    relay = OutboxRelay(database, tables.outbox, bus)
    writer = OutboxRelay(database, tables.outbox, FlakyBus())
    assert writer.announces
    heard: asyncio.Queue[str] = asyncio.Queue()
    spy = await asyncpg.connect(asyncpg_dsn(database_url(settings)))
    await spy.add_listener(NOTIFY_CHANNEL, lambda *args: heard.put_nowait(args[-1]))

    async def rolled_back() -> None:
        async with database.session() as session:
            await add_to_outbox(session, tables.outbox, [placed(0)], announce=True)
            raise RuntimeError("rolled back")

    try:
        async with running_outbox_relays(database_url(settings), {database.subgraph: relay}) as up:
            await asyncio.wait_for(up.listening.wait(), WAIT)
            with pytest.raises(RuntimeError, match="rolled back"):
                await rolled_back()
            events = [placed(1), placed(2), placed(3)]
            async with database.session() as session:
                await add_to_outbox(session, tables.outbox, events, announce=True)
            await asyncio.wait_for(published_all([bus], len(events)), WAIT)
        first = await asyncio.wait_for(heard.get(), WAIT)
        # A NOTIFY of its own, sent after the commit, comes after any of the rows'.
        await spy.execute(f"NOTIFY {NOTIFY_CHANNEL}, 'end'")
        second = await asyncio.wait_for(heard.get(), WAIT)
    finally:
        await spy.close()

    assert bus.published == events
    assert (first, second) == (database.subgraph, "end")  # one notification for three rows
    assert await outbox_rows(database, tables) == [(e.id, True, 1, None) for e in events]


async def until_cleared(listener: OutboxListener) -> None:
    # The listener has no "lost" event of its own; the flag it clears is what tells.
    while listener.listening.is_set():  # noqa: ASYNC110 - polls a flag, see above
        await asyncio.sleep(0.01)


async def cut_listening_connections(url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        cut = await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        )
    finally:
        await connection.close()
    assert cut == 1
