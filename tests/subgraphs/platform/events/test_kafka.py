"""`KafkaBus` on the real Kafka-protocol broker (tansu): topics per route keyed by subject,
consumer groups committing after handling, exactly-once effects through the inbox,
retries and dead letters, and a broker outage cut through `tests.proxy.TcpProxy`
with the events waiting in the outbox.

Every test routes to its own topics and groups (a random suffix).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import func, select

from shopgraph.loopback import free_port
from subgraphs.platform.database import Database
from subgraphs.platform.events import (
    BusClosedError,
    BusUnavailableError,
    Delivery,
    Event,
    InProcessBus,
    KafkaBus,
    OutboxRelay,
    RoutedBus,
    TopicRoutes,
    add_to_outbox,
    record_handled,
)
from subgraphs.platform.events.kafka import DEAD_REASON_HEADER, dead_topic_name
from tests.kafka import tansu
from tests.proxy import TcpProxy
from tests.subgraphs.platform.events.conftest import EventTables

WAIT = 20.0
SESSION_MS = 2000  # tansu makes a group join wait half of it (FACTS.md)


@dataclass
class Log:
    url: str
    suffix: str = field(default_factory=lambda: secrets.token_hex(4))
    buses: list[KafkaBus] = field(default_factory=list)

    def topic(self, name: str) -> str:
        return f"test.{name}.{self.suffix}"

    def group(self, name: str) -> str:
        return f"test.{name}.{self.suffix}"

    def routes(self) -> TopicRoutes:
        return TopicRoutes({"order.*": self.topic("commerce"), "product.*": self.topic("catalog")})

    async def bus(self, url: str | None = None, **options: object) -> KafkaBus:
        options.setdefault("retry_delays", (0.05, 0.1))
        bus = KafkaBus(
            url or self.url,
            self.routes(),
            idempotence=False,
            session_timeout_ms=SESSION_MS,
            **options,  # type: ignore[arg-type]  # keyword options of KafkaBus
        )
        await bus.start()
        self.buses.append(bus)
        return bus

    async def records(
        self, topic: str, count: int
    ) -> list[tuple[bytes | None, bytes, dict[str, bytes]]]:
        """The first `count` records of `topic`: key, value and headers."""
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=self.url, auto_offset_reset="earliest", group_id=None
        )
        await consumer.start()
        found: list[tuple[bytes | None, bytes, dict[str, bytes]]] = []
        try:
            async with asyncio.timeout(WAIT):
                while len(found) < count:
                    for records in (await consumer.getmany(timeout_ms=200)).values():
                        found += [(r.key, r.value, dict(r.headers)) for r in records]
        finally:
            await consumer.stop()
        return found


@pytest.fixture
async def log(kafka_url: str) -> AsyncIterator[Log]:
    running = Log(kafka_url)
    yield running
    for bus in running.buses:
        await bus.close()


def placed(n: int, order: str | None = None) -> Event:
    return Event.new("order.placed", order or f"order-{n}", {"n": n})


async def take(stream: AsyncIterator[Delivery], count: int) -> list[Delivery]:
    async with asyncio.timeout(WAIT):
        return [await anext(stream) for _ in range(count)]


async def test_events_go_to_their_routed_topic_keyed_by_subject(log: Log) -> None:
    bus = await log.bus()
    order_events = [placed(1, "order-a"), placed(2, "order-b")]
    product = Event.new("product.created", "p-1", {"name": "Lamp"})
    unrouted = Event.new("user.registered", "u-1", {})

    await bus.publish([*order_events, product, unrouted])

    commerce = await log.records(log.topic("commerce"), 2)
    assert sorted((k, Event.from_bytes(v)) for k, v, _ in commerce) == sorted(
        [(b"order-a", order_events[0]), (b"order-b", order_events[1])], key=lambda kv: kv[0]
    )
    [(key, value, _)] = await log.records(log.topic("catalog"), 1)
    assert (key, Event.from_bytes(value)) == (b"p-1", product)


async def test_a_group_resumes_after_its_last_acknowledged_event(log: Log) -> None:
    bus = await log.bus()
    group = log.group("resume")
    events = [placed(n, "order-1") for n in range(3)]  # one subject: one partition, in order
    await bus.publish(events)

    first = bus.consume(group, ["order.placed"])
    [one] = await take(first, 1)
    await one.ack()
    [two] = await take(first, 1)
    await two.nack(requeue=True)
    [again] = await take(first, 1)
    assert (again.event, again.redelivered, again.attempt) == (events[1], True, 1)
    await first.aclose()  # stops with `again` unsettled: not committed

    second = bus.consume(group, ["order.placed"])
    delivered = []
    for _ in range(2):
        [delivery] = await take(second, 1)
        delivered.append(delivery.event)
        await delivery.ack()
    await second.aclose()
    assert delivered == events[1:]


async def test_effects_happen_once_when_an_event_is_delivered_again(
    log: Log, database: Database, tables: EventTables
) -> None:
    bus = await log.bus()
    group = log.group("effects")
    event = placed(1)
    await bus.publish([event])

    async def handle(delivery: Delivery) -> None:
        async with database.session() as session:
            await record_handled(session, tables.inbox, group, delivery.event.id)

    first = bus.consume(group, ["order.placed"])
    [delivery] = await take(first, 1)
    await handle(delivery)
    await first.aclose()  # the process dies before acknowledging

    second = bus.consume(group, ["order.placed"])
    [again] = await take(second, 1)
    await handle(again)
    await again.ack()
    await second.aclose()

    async with database.session() as session:
        handled = await session.scalar(select(func.count()).select_from(tables.inbox))
    assert (again.event, handled) == (event, 1)


async def test_retry_comes_back_then_goes_to_the_dead_letter_topic_with_a_reason(
    log: Log,
) -> None:
    bus = await log.bus()
    group = log.group("retry")
    event, later = placed(1, "order-1"), placed(2, "order-1")
    await bus.publish([event, later])
    stream = bus.consume(group, ["order.placed"])

    attempts = []
    for _ in range(3):
        [delivery] = await take(stream, 1)
        attempts.append((delivery.event, delivery.attempt))
        await delivery.retry()
    [after] = await take(stream, 1)
    await after.ack()
    await stream.aclose()

    assert attempts == [(event, 1), (event, 2), (event, 3)]
    assert after.event == later
    [(_, value, headers)] = await log.records(dead_topic_name(group), 1)
    assert (Event.from_bytes(value), headers) == (
        event,
        {DEAD_REASON_HEADER: b"gave up after 3 attempts"},
    )
    assert await bus.dead_letters(group) == [event]

    assert await bus.requeue_dead_letters(group) == 1
    assert await bus.dead_letters(group) == []
    again = bus.consume(group, ["order.placed"])
    [requeued] = await take(again, 1)
    assert (requeued.event, requeued.attempt) == (event, 1)
    await requeued.ack()
    await again.aclose()


async def test_a_malformed_record_is_dead_lettered_and_the_group_goes_on(log: Log) -> None:
    bus = await log.bus()
    group = log.group("poison")
    await bus.send([(log.topic("commerce"), "order-1", b"not json")])
    good = placed(1, "order-1")
    await bus.publish([good])

    stream = bus.consume(group, ["order.placed"])
    [delivery] = await take(stream, 1)
    await delivery.ack()
    await stream.aclose()

    [(_, value, headers)] = await log.records(dead_topic_name(group), 1)
    assert delivery.event == good
    assert value == b"not json"
    assert headers[DEAD_REASON_HEADER].startswith(b"malformed: event is not JSON")


async def test_kafka_down_keeps_events_in_the_outbox_and_loses_none(
    database: Database, tables: EventTables
) -> None:
    broker_port = free_port()
    # Clients learn the broker's address from it: it advertises the proxy's port.
    async with TcpProxy("127.0.0.1", broker_port) as proxy:
        with tansu(port=broker_port, advertised_port=proxy.port) as url:
            log = Log(url)
            kafka = await log.bus(publish_timeout=2.0)
            bus = RoutedBus(InProcessBus(), kafka, log_groups=[log.group("outage")])
            relay = OutboxRelay(database, tables.outbox, bus)
            try:
                events = [placed(n, f"order-{n}") for n in range(5)]
                await _write(database, tables, events[:2])
                assert await relay.relay_once() == 2

                await proxy.cut()
                await _write(database, tables, events[2:])
                with pytest.raises(BusUnavailableError):
                    await relay.relay_once()
                async with database.session() as session:
                    unsent = await session.scalar(
                        select(func.count())
                        .select_from(tables.outbox)
                        .where(tables.outbox.c.sent_at.is_(None))
                    )
                assert unsent == 3

                await proxy.restore()
                async with asyncio.timeout(WAIT):
                    while await _unsent(database, tables):
                        try:
                            await relay.relay_once()
                        except BusUnavailableError:
                            await asyncio.sleep(0.2)

                # Every event arrived; a batch retried after a timeout may arrive
                # twice, which the consumers' inbox absorbs.
                stream = bus.consume(log.group("outage"), ["order.placed"])
                arrived: set[object] = set()
                while arrived != {e.id for e in events}:
                    [delivery] = await take(stream, 1)
                    arrived.add(delivery.event.id)
                    await delivery.ack()
                assert isinstance(stream, AsyncGenerator)  # the log group's KafkaBus stream
                await stream.aclose()
            finally:
                await bus.close()


async def _write(database: Database, tables: EventTables, events: list[Event]) -> None:
    async with database.session() as session:
        await add_to_outbox(session, tables.outbox, events)


async def _unsent(database: Database, tables: EventTables) -> int:
    async with database.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(tables.outbox).where(tables.outbox.c.sent_at.is_(None))
        )
    return int(count or 0)


async def test_close_ends_consumers_and_refuses_publishing(log: Log) -> None:
    bus = await log.bus()
    stream = bus.consume(log.group("close"), ["order.placed"])
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)  # the stream starts and waits for a record
    await bus.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, WAIT)
    with pytest.raises(BusClosedError):
        await bus.publish([placed(1)])
