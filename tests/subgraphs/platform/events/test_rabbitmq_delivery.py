"""`RabbitMQBus` on the real broker: redelivery, retries with growing delays, dead
letters, and events kept while no consumer runs.

Every test uses its own exchange and groups (`broker` in conftest.py).
"""

import asyncio

import pytest

from subgraphs.platform.events import Event
from subgraphs.platform.events.rabbitmq import dead_queue_name, retry_queue_name
from tests.subgraphs.platform.events.rabbitmq_broker import (
    RETRY_DELAYS,
    Broker,
    seen,
)


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
