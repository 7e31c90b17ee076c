"""A test's own corner of the real RabbitMQ broker, for `RabbitMQBus` tests: a random
exchange and groups, deleted after the test, and a consumer a test can wait on."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from subgraphs.platform.events import Delivery, Event, RabbitMQBus
from subgraphs.platform.events.rabbitmq import dead_queue_name, retry_queue_name

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


def order_events() -> list[Event]:
    return [
        Event.new("order.placed", "order-1", {"n": 1}),
        Event.new("payment.succeeded", "order-1", {"n": 2}),
        Event.new("order.placed", "order-2", {"n": 3}),
        Event.new("product.viewed", "product-9", {"n": 4}),
    ]


def seen(delivery: Delivery) -> tuple[Event, bool, int]:
    return delivery.event, delivery.redelivered, delivery.attempt
