"""`RabbitMQBus.publish` sends a batch in one write (rabbitmq_batch.py): on the real
broker every event still arrives whole and in order, and one the broker refuses
fails the publish (so the outbox keeps it)."""

import aio_pika
import pytest

from subgraphs.platform.events import BusUnavailableError, Event
from tests.subgraphs.platform.events.rabbitmq_broker import Broker


async def test_a_batch_arrives_whole_and_in_order(broker: Broker) -> None:
    bus = await broker.bus()
    group = broker.group("batch")
    broker.consume(bus, group, ["order.placed"])
    await bus.publish([])  # waits for the consumer's queue to be declared
    await broker.consumers[0].stop()  # leave the messages in the queue to look at them
    # One body larger than a frame (128 KiB by default): it goes in several body frames.
    events = [Event.new("order.placed", f"order-{n}", {"n": n}) for n in range(40)]
    events[17] = Event.new("order.placed", "order-17", {"n": 17, "note": "x" * 300_000})

    await bus.publish(events)

    messages = await broker.peek(group)
    assert [(m.body, m.message_id, m.routing_key) for m in messages] == [
        (event.to_bytes(), str(event.id), "order.placed") for event in events
    ]


async def test_an_event_the_broker_refuses_fails_the_whole_publish(broker: Broker) -> None:
    bus = await broker.bus()
    full = broker.group("full")
    # A queue that takes one message and refuses (nacks) every publish after it.
    connection = await aio_pika.connect(broker.url)
    async with connection, connection.channel() as channel:
        queue = await channel.declare_queue(
            full, durable=True, arguments={"x-max-length": 1, "x-overflow": "reject-publish"}
        )
        await queue.bind(broker.exchange, routing_key="order.placed")
    events = [Event.new("order.placed", f"order-{n}", {"n": n}) for n in range(3)]

    with pytest.raises(BusUnavailableError, match="did not confirm 3 events"):
        await bus.publish(events)

    assert [m.body for m in await broker.peek(full)] == [events[0].to_bytes()]
    # The channel is still good for the next batch.
    await bus.publish([Event.new("payment.failed", "order-9", {})])
