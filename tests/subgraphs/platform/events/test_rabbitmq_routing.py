"""`RabbitMQBus` on the real broker: how events are routed to groups and shared
between the consumers of one group, and how many deliveries a consumer holds.

Every test uses its own exchange and groups (`broker` in conftest.py).
"""

import asyncio

import aio_pika

from subgraphs.platform.events import Event
from tests.subgraphs.platform.events.rabbitmq_broker import (
    WAIT,
    Broker,
    order_events,
    seen,
)


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


async def test_a_declared_group_keeps_what_is_published_until_its_first_consumer(
    broker: Broker,
) -> None:
    # The publisher declares the group of a worker that has never run (a first deploy).
    publisher = await broker.bus()
    group = broker.group("payments")
    await publisher.declare(group, ["order.placed"])
    events = order_events()

    await publisher.publish(events)

    assert await broker.depth(group) == 2
    worker = broker.consume(await broker.bus(), group, ["order.placed"])
    got = [await worker.next(), await worker.next()]
    assert [seen(d) for d in got] == [(events[0], False, 1), (events[2], False, 1)]
    for delivery in got:
        await delivery.ack()
    assert await broker.nothing_more(group, worker)


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
