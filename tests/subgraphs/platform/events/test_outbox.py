import asyncio
import logging
from collections import Counter
from collections.abc import Sequence

import pytest
from sqlalchemy import select

from subgraphs.platform.database import Database
from subgraphs.platform.events import Event, InProcessBus, OutboxRelay, add_to_outbox
from tests.subgraphs.platform.events.conftest import EventTables

WAIT = 5.0


class InFlight:
    """How many publishes run at once, across buses."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0


class FlakyBus(InProcessBus):
    """The in-process bus with a switch that makes publishing fail, as a broker that is down."""

    def __init__(self, delay: float = 0.0, in_flight: InFlight | None = None) -> None:
        super().__init__()
        self.down = False
        self.delay = delay
        self.in_flight = in_flight or InFlight()
        self.published: list[Event] = []
        self.attempted = asyncio.Event()
        self.delivered = asyncio.Event()

    async def publish(self, events: Sequence[Event]) -> None:
        self.attempted.set()
        self.in_flight.now += 1
        self.in_flight.peak = max(self.in_flight.peak, self.in_flight.now)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.down:
                raise ConnectionError("broker unreachable")
            await super().publish(events)
            self.published.extend(events)
            self.delivered.set()
        finally:
            self.in_flight.now -= 1


def placed(n: int) -> Event:
    return Event.new("order.placed", f"order-{n}", {"order": n, "lines": [{"sku": "A", "qty": n}]})


async def write(database: Database, tables: EventTables, events: list[Event]) -> None:
    async with database.session() as session:
        await add_to_outbox(session, tables.outbox, events)


async def outbox_rows(database: Database, tables: EventTables) -> list[tuple[object, ...]]:
    """(id, sent?, attempts, last_error) of every outbox row, oldest first."""
    table = tables.outbox
    query = select(
        table.c.id, table.c.sent_at.is_not(None), table.c.attempts, table.c.last_error
    ).order_by(table.c.created_at)
    async with database.session() as session:
        return [tuple(row) for row in (await session.execute(query)).all()]


async def test_events_of_a_rolled_back_transaction_are_never_published(
    database: Database, tables: EventTables
) -> None:
    bus = FlakyBus()
    lost, kept = placed(1), placed(2)

    async def write_then_fail() -> None:
        async with database.session() as session:
            await add_to_outbox(session, tables.outbox, [lost])
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError, match="abort"):
        await write_then_fail()
    await write(database, tables, [kept])

    relay = OutboxRelay(database, tables.outbox, bus)

    assert await relay.relay_once() == 1
    assert bus.published == [kept]
    assert await outbox_rows(database, tables) == [(kept.id, True, 1, None)]


async def test_committed_events_are_published_once_in_order_and_marked_sent(
    database: Database, tables: EventTables
) -> None:
    bus = FlakyBus()
    events = [placed(n) for n in range(5)]
    await write(database, tables, events[:3])
    await write(database, tables, events[3:])
    relay = OutboxRelay(database, tables.outbox, bus)

    assert await relay.relay_once(limit=4) == 4
    assert await relay.relay_once(limit=4) == 1
    assert await relay.relay_once(limit=4) == 0

    assert bus.published == events
    assert await outbox_rows(database, tables) == [(e.id, True, 1, None) for e in events]


async def test_a_failing_bus_loses_nothing(database: Database, tables: EventTables) -> None:
    bus = FlakyBus()
    bus.down = True
    events = [placed(1), placed(2)]
    await write(database, tables, events)
    relay = OutboxRelay(database, tables.outbox, bus)

    for _ in range(2):
        with pytest.raises(ConnectionError):
            await relay.relay_once()
    assert bus.published == []
    error = "ConnectionError: broker unreachable"
    assert await outbox_rows(database, tables) == [(e.id, False, 2, error) for e in events]

    bus.down = False
    assert await relay.relay_once() == 2
    assert bus.published == events
    assert await outbox_rows(database, tables) == [(e.id, True, 3, error) for e in events]


async def test_run_publishes_when_notified_and_stops_when_asked(
    database: Database, tables: EventTables
) -> None:
    bus = FlakyBus()
    relay = OutboxRelay(database, tables.outbox, bus)
    stop = asyncio.Event()
    # A poll interval far beyond the test's patience: only notify can make it relay.
    running = asyncio.create_task(relay.run(stop, poll_interval=3600))
    event = placed(1)

    await write(database, tables, [event])
    relay.notify()
    await asyncio.wait_for(bus.delivered.wait(), WAIT)
    stop.set()
    await asyncio.wait_for(running, WAIT)

    assert bus.published == [event]
    assert await outbox_rows(database, tables) == [(event.id, True, 1, None)]


async def test_commits_notified_within_the_gather_time_share_one_publish(
    database: Database, tables: EventTables
) -> None:
    bus = FlakyBus()
    relay = OutboxRelay(database, tables.outbox, bus)
    stop = asyncio.Event()
    publishes: list[int] = []
    publish = bus.publish

    async def counted(events: Sequence[Event]) -> None:
        publishes.append(len(events))
        await publish(events)

    bus.publish = counted  # type: ignore[method-assign]
    running = asyncio.create_task(relay.run(stop, poll_interval=3600, gather_seconds=0.5))
    await asyncio.sleep(0.05)  # the first pass (nothing to send) is over
    events = [placed(n) for n in range(3)]
    for event in events:  # three commits, each notifying, well within the gather time
        await write(database, tables, [event])
        relay.notify()
        await asyncio.sleep(0.05)  # time enough for a pass of its own, without gathering
    await asyncio.wait_for(bus.delivered.wait(), WAIT)
    stop.set()
    await asyncio.wait_for(running, WAIT)

    assert publishes == [3]
    assert bus.published == events


async def test_run_keeps_retrying_while_the_bus_is_down(
    database: Database, tables: EventTables, caplog: pytest.LogCaptureFixture
) -> None:
    bus = FlakyBus()
    bus.down = True
    relay = OutboxRelay(database, tables.outbox, bus)
    stop = asyncio.Event()
    event = placed(1)
    await write(database, tables, [event])

    with caplog.at_level(logging.WARNING, logger="subgraphs.platform.events.outbox"):
        running = asyncio.create_task(relay.run(stop, poll_interval=0.01))
        for _ in range(2):
            await asyncio.wait_for(bus.attempted.wait(), WAIT)
            bus.attempted.clear()
        bus.down = False
        await asyncio.wait_for(bus.delivered.wait(), WAIT)
        stop.set()
        await asyncio.wait_for(running, WAIT)

    assert bus.published == [event]
    [(event_id, sent, attempts, last_error)] = await outbox_rows(database, tables)
    assert (event_id, sent, last_error) == (event.id, True, "ConnectionError: broker unreachable")
    assert attempts == len(caplog.records) + 1
    assert all("stay in the outbox" in record.getMessage() for record in caplog.records)


async def test_concurrent_relays_publish_each_event_exactly_once(
    database: Database, tables: EventTables
) -> None:
    events = [placed(n) for n in range(60)]
    await write(database, tables, events)
    # Publishing takes a moment, so each relay holds its batch while the other selects.
    in_flight = InFlight()
    buses = [FlakyBus(delay=0.005, in_flight=in_flight) for _ in range(2)]
    relays = [OutboxRelay(database, tables.outbox, bus) for bus in buses]

    async def drain(relay: OutboxRelay) -> None:
        while await relay.relay_once(limit=5):
            pass

    await asyncio.wait_for(asyncio.gather(*(drain(relay) for relay in relays)), WAIT)

    published = Counter(event.id for bus in buses for event in bus.published)
    assert published == Counter(event.id for event in events)
    assert await outbox_rows(database, tables) == [(e.id, True, 1, None) for e in events]
    # PostgreSQL: SKIP LOCKED hands the second relay other rows, so both publish at
    # once. SQLite: each relay's BEGIN IMMEDIATE waits for the other's commit.
    assert in_flight.peak == (1 if database.is_sqlite else 2)
