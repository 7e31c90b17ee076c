"""`RabbitMQBus` on the real broker: routing, sharing, redelivery, retries, dead letters,
durability, and a network cut through `tests.proxy.TcpProxy`.

Every test uses its own exchange and groups (a random suffix) and deletes them after.
"""

import asyncio
import gc
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage

from subgraphs.platform.events import (
    BusClosedError,
    BusUnavailableError,
    Delivery,
    Event,
    RabbitMQBus,
)
from subgraphs.platform.events.rabbitmq import dead_queue_name, retry_queue_name
from tests.proxy import TcpProxy

# Generous upper bound for things that should happen soon; never slept through.
WAIT = 5.0
RETRY_DELAYS = (0.05, 0.1)


class Consumer:
    """Pulls a stream in the background, so a test can wait for the next delivery
    with a timeout without cancelling (and so closing) the stream."""

    def __init__(self, stream: AsyncIterator[Delivery]) -> None:
        self._deliveries: asyncio.Queue[Delivery] = asyncio.Queue()
        self._task = asyncio.create_task(self._pull(stream))

    async def _pull(self, stream: AsyncIterator[Delivery]) -> None:
        async for delivery in stream:
            await self._deliveries.put(delivery)

    async def next(self) -> Delivery:
        return await asyncio.wait_for(self._deliveries.get(), WAIT)

    def arrived(self) -> list[Delivery]:
        """The deliveries that arrived and were not taken yet."""
        arrived = []
        while not self._deliveries.empty():
            arrived.append(self._deliveries.get_nowait())
        return arrived

    async def leftovers(self) -> list[Delivery]:
        """Stops consuming and returns what had arrived untaken (usually asserted empty).

        Stopping closes the consumer's channel, so the broker takes back whatever
        it had sent that was not acked yet: `Broker.depth` then counts it.
        """
        await self.stop()
        return self.arrived()

    async def ended(self) -> bool:
        await asyncio.wait([self._task], timeout=WAIT)
        return self._task.done() and self._task.exception() is None

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@dataclass
class Broker:
    url: str
    exchange: str
    suffix: str
    queues: set[str] = field(default_factory=set)
    buses: list[RabbitMQBus] = field(default_factory=list)
    consumers: list[Consumer] = field(default_factory=list)

    def group(self, name: str) -> str:
        group = f"test.{name}.{self.suffix}"
        self.queues.update([group, dead_queue_name(group)])
        self.queues.update(retry_queue_name(group, delay) for delay in RETRY_DELAYS)
        return group

    async def bus(self, url: str | None = None, **options: Any) -> RabbitMQBus:
        options.setdefault("retry_delays", RETRY_DELAYS)
        bus = RabbitMQBus(url or self.url, exchange=self.exchange, **options)
        self.buses.append(bus)
        await bus.start()
        return bus

    def consume(self, bus: RabbitMQBus, group: str, types: list[str]) -> Consumer:
        consumer = Consumer(bus.consume(group, types))
        self.consumers.append(consumer)
        return consumer

    async def depth(self, queue: str) -> int:
        """Messages ready in `queue`, as the broker counts them (none in flight to a consumer)."""
        connection = await aio_pika.connect(self.url)
        async with connection, connection.channel() as channel:
            # A passive declare may report 0 on RabbitMQ 3.10: redeclare as the bus does.
            declared = await channel.declare_queue(queue, durable=True)
            count = declared.declaration_result.message_count
        assert count is not None
        return count

    async def nothing_more(self, group: str, *consumers: Consumer) -> bool:
        """Whether nothing is left to deliver to `group`: its consumers stopped with no
        delivery untaken, and the broker holds no message for it."""
        untaken = [delivery for consumer in consumers for delivery in await consumer.leftovers()]
        return untaken == [] and await self.depth(group) == 0

    async def peek(self, queue: str) -> list[AbstractIncomingMessage]:
        """The messages in `queue`, left there (taken unacked, returned on close)."""
        connection = await aio_pika.connect(self.url)
        async with connection, connection.channel() as channel:
            source = await channel.declare_queue(queue, passive=True)
            messages = []
            while (message := await source.get(fail=False)) is not None:
                messages.append(message)
        return messages

    async def publish_raw(self, body: bytes, routing_key: str) -> None:
        connection = await aio_pika.connect(self.url)
        async with connection, connection.channel() as channel:
            exchange = await channel.get_exchange(self.exchange)
            await exchange.publish(aio_pika.Message(body), routing_key=routing_key)

    async def delete_everything(self) -> None:
        connection = await aio_pika.connect(self.url)
        async with connection, connection.channel() as channel:
            for queue in sorted(self.queues):
                await channel.queue_delete(queue)
            await channel.exchange_delete(self.exchange)


@pytest.fixture
async def broker(rabbitmq_url: str) -> AsyncIterator[Broker]:
    suffix = secrets.token_hex(4)
    broker = Broker(rabbitmq_url, f"test.events.{suffix}", suffix)
    yield broker
    for consumer in broker.consumers:
        await consumer.stop()
    for bus in broker.buses:
        await bus.close()
    await broker.delete_everything()


def order_events() -> list[Event]:
    return [
        Event.new("order.placed", "order-1", {"n": 1}),
        Event.new("payment.succeeded", "order-1", {"n": 2}),
        Event.new("order.placed", "order-2", {"n": 3}),
        Event.new("product.viewed", "product-9", {"n": 4}),
    ]


def seen(delivery: Delivery) -> tuple[Event, bool, int]:
    return delivery.event, delivery.redelivered, delivery.attempt


async def test_an_event_is_a_persistent_message_routed_by_its_type(broker: Broker) -> None:
    bus = await broker.bus()
    group = broker.group("wire")
    broker.consume(bus, group, ["order.placed"])
    await bus.publish([])  # waits for the consumer's queue to be declared
    await broker.consumers[0].stop()  # leave the message in the queue to look at it
    event = order_events()[0]

    await bus.publish([event])

    [message] = await broker.peek(group)
    assert (message.body, message.routing_key, message.exchange) == (
        event.to_bytes(),
        "order.placed",
        broker.exchange,
    )
    assert (message.message_id, message.delivery_mode, message.type) == (
        str(event.id),
        aio_pika.DeliveryMode.PERSISTENT,
        "order.placed",
    )


async def test_every_group_gets_the_events_of_its_types(broker: Broker) -> None:
    bus = await broker.bus()
    groups = {"orders": broker.group("orders"), "audit": broker.group("audit")}
    orders = broker.consume(bus, groups["orders"], ["order.placed"])
    audit = broker.consume(bus, groups["audit"], ["order.placed", "payment.succeeded"])
    events = order_events()

    await bus.publish(events)  # right after consume(): nothing may be missed

    got = {"orders": [await orders.next()], "audit": [await audit.next() for _ in range(3)]}
    got["orders"].append(await orders.next())
    assert [seen(d) for d in got["orders"]] == [(events[0], False, 1), (events[2], False, 1)]
    assert [seen(d) for d in got["audit"]] == [(e, False, 1) for e in events[:3]]
    for delivery in got["orders"] + got["audit"]:
        await delivery.ack()
    assert await broker.nothing_more(groups["orders"], orders)
    assert await broker.nothing_more(groups["audit"], audit)


async def test_consumers_of_one_group_share_its_events(broker: Broker) -> None:
    group = broker.group("payments")
    # Two processes, each holding at most one unacked delivery: while the first
    # holds one, the next can only go to the other.
    first, second = await broker.bus(prefetch=1), await broker.bus(prefetch=1)
    consumers = [broker.consume(bus, group, ["order.placed"]) for bus in (first, second)]
    events = [Event.new("order.placed", f"order-{n}", {}) for n in range(6)]

    await first.publish(events[:2])
    held = [await consumer.next() for consumer in consumers]
    assert sorted((d.event for d in held), key=events.index) == events[:2]

    for delivery in held:
        await delivery.ack()
    await first.publish(events[2:])
    rest: list[Event] = []
    async with asyncio.timeout(WAIT):
        while len(rest) < 4:
            for delivery in [d for c in consumers for d in c.arrived()]:
                rest.append(delivery.event)
                await delivery.ack()  # frees the consumer for the next one
            await asyncio.sleep(0.01)
    assert sorted(rest, key=events.index) == events[2:]
    assert await broker.nothing_more(group, *consumers)


async def test_a_consumer_holds_at_most_prefetch_unacked_deliveries(broker: Broker) -> None:
    bus = await broker.bus(prefetch=2)
    group = broker.group("payments")
    consumer = broker.consume(bus, group, ["order.placed"])
    events = [Event.new("order.placed", f"order-{n}", {}) for n in range(3)]
    await bus.publish(events)

    held = [await consumer.next(), await consumer.next()]
    # The third waits in the queue, not at the consumer: the broker has not sent it.
    assert await broker.depth(group) == 1
    assert consumer.arrived() == []
    await held[0].ack()

    assert seen(await consumer.next()) == (events[2], False, 1)


async def test_a_requeued_delivery_comes_back_marked_redelivered(broker: Broker) -> None:
    bus = await broker.bus(prefetch=1)
    consumer = broker.consume(bus, broker.group("payments"), ["order.placed"])
    first, second = Event.new("order.placed", "o-1", {}), Event.new("order.placed", "o-2", {})
    await bus.publish([first, second])

    delivery = await consumer.next()
    assert seen(delivery) == (first, False, 1)
    await delivery.nack(requeue=True)

    again = await consumer.next()
    assert seen(again) == (first, True, 1)
    await again.ack()
    following = await consumer.next()
    assert seen(following) == (second, False, 1)
    await following.ack()
    with pytest.raises(RuntimeError, match="already settled"):
        await following.nack(requeue=True)


async def test_a_rejected_delivery_is_dropped(broker: Broker) -> None:
    bus = await broker.bus()
    group = broker.group("payments")
    consumer = broker.consume(bus, group, ["order.placed"])
    first, second = Event.new("order.placed", "o-1", {}), Event.new("order.placed", "o-2", {})
    await bus.publish([first, second])

    await (await consumer.next()).nack(requeue=False)

    assert seen(await consumer.next()) == (second, False, 1)
    assert await bus.dead_letters(group) == []


async def test_retry_delivers_again_after_growing_delays_then_gives_up(broker: Broker) -> None:
    bus = await broker.bus()
    group = broker.group("payments")
    consumer = broker.consume(bus, group, ["order.placed"])
    event = Event.new("order.placed", "o-1", {})
    await bus.publish([event])
    loop = asyncio.get_running_loop()

    deliveries: list[tuple[Event, bool, int]] = []
    arrived: list[float] = []
    retried: list[float] = []
    for _ in range(len(RETRY_DELAYS) + 1):
        delivery = await consumer.next()
        arrived.append(loop.time())
        deliveries.append(seen(delivery))
        retried.append(loop.time())  # the delay starts inside retry(), so no earlier
        await delivery.retry()
    # Between a retry and the next delivery, at least that attempt's delay
    # (less the broker's millisecond rounding).
    waited = [a - r for r, a in zip(retried, arrived[1:], strict=False)]

    assert deliveries == [(event, False, 1), (event, False, 2), (event, False, 3)]
    assert waited[0] >= RETRY_DELAYS[0] - 0.002
    assert waited[1] >= RETRY_DELAYS[1] - 0.002
    assert await bus.dead_letters(group) == [event]
    [buried] = await broker.peek(dead_queue_name(group))
    assert buried.headers == {"x-attempt": 3, "x-dead-reason": "gave up after 3 attempts"}
    assert [await broker.peek(retry_queue_name(group, d)) for d in RETRY_DELAYS] == [[], []]
    assert await broker.nothing_more(group, consumer)


async def test_dead_letters_are_listed_in_place_and_requeued_by_id_or_all(
    broker: Broker,
) -> None:
    bus = await broker.bus(retry_delays=())  # a retry goes straight to the dead letters
    group = broker.group("payments")
    consumer = broker.consume(bus, group, ["order.placed"])
    events = [Event.new("order.placed", f"o-{n}", {}) for n in range(3)]
    await bus.publish(events)
    for _ in events:
        await (await consumer.next()).retry()

    assert await bus.dead_letters(group) == events
    assert await bus.dead_letters(group) == events  # listing removes nothing
    assert await bus.dead_letters(broker.group("nobody")) == []

    assert await bus.requeue_dead_letters(group, [events[1].id]) == 1
    delivery = await consumer.next()
    assert seen(delivery) == (events[1], False, 1)
    await delivery.ack()
    assert await bus.dead_letters(group) == [events[0], events[2]]

    assert await bus.requeue_dead_letters(group) == 2
    back = [await consumer.next(), await consumer.next()]
    assert [seen(d) for d in back] == [(events[0], False, 1), (events[2], False, 1)]
    assert await bus.dead_letters(group) == []
    assert await bus.requeue_dead_letters(group) == 0


async def test_an_unacked_delivery_goes_to_another_consumer_when_its_bus_closes(
    broker: Broker,
) -> None:
    group = broker.group("payments")
    first = await broker.bus()
    event = Event.new("order.placed", "o-1", {})
    leaving = broker.consume(first, group, ["order.placed"])
    await first.publish([event])
    assert seen(await leaving.next()) == (event, False, 1)
    second = await broker.bus()
    staying = broker.consume(second, group, ["order.placed"])

    await first.close()  # without acking

    delivery = await staying.next()
    assert seen(delivery) == (event, True, 1)
    assert await leaving.ended()


async def test_events_wait_in_the_queue_while_no_consumer_runs(broker: Broker) -> None:
    group = broker.group("payments")
    earlier = await broker.bus()
    consumer = broker.consume(earlier, group, ["order.placed"])
    await earlier.publish([Event.new("order.placed", "o-0", {})])
    await (await consumer.next()).ack()
    await earlier.close()
    events = [Event.new("order.placed", f"o-{n}", {}) for n in range(1, 3)]

    await (await broker.bus()).publish(events)
    later = broker.consume(await broker.bus(), group, ["order.placed"])

    delivered = [await later.next() for _ in events]
    assert [seen(d) for d in delivered] == [(e, False, 1) for e in events]
    for delivery in delivered:
        await delivery.ack()
    assert await broker.nothing_more(group, later)


async def test_a_malformed_message_goes_to_the_dead_letters_and_the_consumer_goes_on(
    broker: Broker,
) -> None:
    bus = await broker.bus()
    group = broker.group("payments")
    consumer = broker.consume(bus, group, ["order.placed"])
    event = Event.new("order.placed", "o-1", {})
    await bus.publish([])  # the group's queue exists now

    await broker.publish_raw(b"not an event", "order.placed")
    await bus.publish([event])

    assert seen(await consumer.next()) == (event, False, 1)
    [buried] = await broker.peek(dead_queue_name(group))
    assert (buried.body, buried.headers) == (b"not an event", {"x-dead-reason": "malformed event"})
    assert await bus.dead_letters(group) == []
    assert await bus.requeue_dead_letters(group) == 0
    assert len(await broker.peek(dead_queue_name(group))) == 1


async def test_a_network_cut_fails_publishing_and_consumers_resume_after_it(
    broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    target = urlsplit(broker.url)
    assert target.hostname is not None
    assert target.port is not None
    async with TcpProxy(target.hostname, target.port) as proxy:
        proxied = target._replace(
            netloc=f"{target.username}:{target.password}@127.0.0.1:{proxy.port}"
        )
        bus = await broker.bus(urlunsplit(proxied), publish_timeout=0.5, reconnect_interval=0.1)
        group = broker.group("payments")
        consumer = broker.consume(bus, group, ["order.placed"])
        before, after = Event.new("order.placed", "o-1", {}), Event.new("order.placed", "o-2", {})
        await bus.publish([before])
        held = await consumer.next()

        await proxy.cut()
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(BusUnavailableError):
            await bus.publish([Event.new("order.placed", "o-lost", {})])
        assert loop.time() - started < bus.publish_timeout + 0.5
        with caplog.at_level(logging.WARNING):
            await held.ack()  # too late: the broker took it back when the connection died
        assert "will be redelivered" in caplog.text

        await proxy.restore()
        # What the outbox relay does: try again until the bus takes the events.
        deadline = loop.time() + WAIT
        while True:
            try:
                await bus.publish([after])
                break
            except BusUnavailableError:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.05)

        resumed = [await consumer.next(), await consumer.next()]
        assert [seen(d) for d in resumed] == [(before, True, 1), (after, False, 1)]
        for delivery in resumed:
            await delivery.ack()
        assert await broker.nothing_more(group, consumer)


async def test_close_ends_consumers_and_refuses_publishing(broker: Broker) -> None:
    bus = await broker.bus()
    consumer = broker.consume(bus, broker.group("payments"), ["order.placed"])
    await bus.publish([])

    await bus.close()

    assert await consumer.ended()
    with pytest.raises(BusClosedError):
        await bus.publish([Event.new("order.placed", "o-1", {})])


async def test_a_bus_is_started_before_use_and_consumes_some_type(rabbitmq_url: str) -> None:
    bus = RabbitMQBus(rabbitmq_url)
    with pytest.raises(RuntimeError, match="start the RabbitMQ bus"):
        await bus.publish([])
    with pytest.raises(ValueError, match="at least one event type"):
        bus.consume("payments", [])


async def test_starting_without_a_reachable_broker_fails_at_once(rabbitmq_url: str) -> None:
    target = urlsplit(rabbitmq_url)
    assert target.hostname is not None
    assert target.port is not None
    async with TcpProxy(target.hostname, target.port) as proxy:
        await proxy.cut()
        bus = RabbitMQBus(f"amqp://guest:guest@127.0.0.1:{proxy.port}/", publish_timeout=1.0)

        with pytest.raises(BusUnavailableError, match="cannot connect"):
            await bus.start()
        await bus.close()


def _open_connections() -> set[int]:
    return {
        id(found)
        for found in gc.get_objects()
        if isinstance(found, aio_pika.RobustConnection) and not found.is_closed
    }


async def test_a_bus_that_fails_to_start_leaves_no_connection_open(broker: Broker) -> None:
    # The exchange exists with another type: declaring it fails after connecting.
    connection = await aio_pika.connect(broker.url)
    async with connection, connection.channel() as channel:
        await channel.declare_exchange(broker.exchange, aio_pika.ExchangeType.FANOUT)
    before = _open_connections()
    bus = RabbitMQBus(broker.url, exchange=broker.exchange, retry_delays=RETRY_DELAYS)

    with pytest.raises(aio_pika.exceptions.ChannelPreconditionFailed):
        await bus.start()

    # Closed by start itself, not left for the garbage collector to close unawaited.
    assert _open_connections() == before
    with pytest.raises(RuntimeError, match="start the RabbitMQ bus"):
        await bus.publish([])
