import asyncio
from collections.abc import AsyncIterator

import pytest

from subgraphs.platform.events import BusClosedError, Delivery, Event, InProcessBus

# Generous upper bound for things that should happen at once; never slept through.
WAIT = 2.0


async def take(stream: AsyncIterator[Delivery]) -> Delivery:
    return await asyncio.wait_for(anext(stream), WAIT)


async def collect(stream: AsyncIterator[Delivery]) -> list[Event]:
    """Ack and keep every delivery until the bus closes."""
    events = []
    async for delivery in stream:
        events.append(delivery.event)
        await delivery.ack()
    return events


def order_events() -> list[Event]:
    return [
        Event.new("order.placed", "order-1", {"n": 1}),
        Event.new("payment.succeeded", "order-1", {"n": 2}),
        Event.new("order.placed", "order-2", {"n": 3}),
        Event.new("product.viewed", "product-9", {"n": 4}),
    ]


async def test_every_group_gets_every_event_it_asked_for() -> None:
    bus = InProcessBus()
    orders = asyncio.create_task(collect(bus.consume("orders", ["order.placed"])))
    audit = asyncio.create_task(
        collect(bus.consume("audit", ["order.placed", "payment.succeeded"]))
    )
    events = order_events()

    await bus.publish(events)
    await asyncio.sleep(0)  # let both consumers drain what is queued
    await bus.close()

    assert await asyncio.wait_for(orders, WAIT) == [events[0], events[2]]
    assert await asyncio.wait_for(audit, WAIT) == events[:3]


async def test_a_declared_group_keeps_what_is_published_until_its_first_consumer() -> None:
    bus = InProcessBus()
    await bus.declare("payments", ["order.placed"])
    events = order_events()

    await bus.publish(events)  # nobody consumes yet
    payments = asyncio.create_task(collect(bus.consume("payments", ["order.placed"])))
    await asyncio.sleep(0)
    await bus.close()

    assert await asyncio.wait_for(payments, WAIT) == [events[0], events[2]]


async def test_a_group_needs_an_event_type_to_be_declared() -> None:
    with pytest.raises(ValueError, match="at least one event type"):
        await InProcessBus().declare("payments", [])


async def test_consumers_of_one_group_share_its_events() -> None:
    bus = InProcessBus()
    events = [Event.new("order.placed", f"order-{n}", {}) for n in range(6)]
    shares: list[list[Event]] = [[], []]
    all_handled = asyncio.Event()

    async def work(stream: AsyncIterator[Delivery], share: list[Event]) -> None:
        async for delivery in stream:
            share.append(delivery.event)
            await asyncio.sleep(0)  # handling takes I/O; the other consumer runs meanwhile
            await delivery.ack()
            if sum(map(len, shares)) == len(events):
                all_handled.set()

    workers = [
        asyncio.create_task(work(bus.consume("payments", ["order.placed"]), share))
        for share in shares
    ]
    await bus.publish(events)
    await asyncio.wait_for(all_handled.wait(), WAIT)
    await bus.close()
    await asyncio.wait_for(asyncio.gather(*workers), WAIT)

    assert sorted(shares[0] + shares[1], key=events.index) == events
    assert shares[0], shares
    assert shares[1], shares


async def test_a_requeued_delivery_comes_back_marked_redelivered() -> None:
    bus = InProcessBus()
    stream = bus.consume("payments", ["order.placed"])
    first, second = Event.new("order.placed", "o-1", {}), Event.new("order.placed", "o-2", {})
    await bus.publish([first, second])

    delivery = await take(stream)
    assert (delivery.event, delivery.redelivered) == (first, False)
    await delivery.nack(requeue=True)

    again = await take(stream)
    assert (again.event, again.redelivered) == (first, True)
    await again.ack()
    following = await take(stream)
    assert (following.event, following.redelivered) == (second, False)
    await following.ack()

    await bus.close()
    assert [d async for d in stream] == []


async def test_a_rejected_delivery_is_dropped() -> None:
    bus = InProcessBus()
    stream = bus.consume("payments", ["order.placed"])
    first, second = Event.new("order.placed", "o-1", {}), Event.new("order.placed", "o-2", {})
    await bus.publish([first, second])

    await (await take(stream)).nack(requeue=False)

    delivery = await take(stream)
    assert (delivery.event, delivery.redelivered) == (second, False)


async def test_a_consumer_that_stops_gives_its_unsettled_deliveries_back() -> None:
    bus = InProcessBus()
    stream = bus.consume("payments", ["order.placed"])
    event = Event.new("order.placed", "o-1", {})
    await bus.publish([event])
    await take(stream)
    # The port promises an AsyncIterator; the in-process one is an async generator.
    await stream.aclose()  # type: ignore[attr-defined]

    delivery = await take(bus.consume("payments", ["order.placed"]))

    assert (delivery.event, delivery.redelivered) == (event, True)


async def test_a_delivery_is_settled_once() -> None:
    bus = InProcessBus()
    stream = bus.consume("payments", ["order.placed"])
    await bus.publish([Event.new("order.placed", "o-1", {})])
    delivery = await take(stream)
    await delivery.ack()

    with pytest.raises(RuntimeError, match="already settled"):
        await delivery.nack(requeue=True)


async def test_close_ends_waiting_consumers_and_refuses_publishing() -> None:
    bus = InProcessBus()
    waiting = asyncio.create_task(collect(bus.consume("payments", ["order.placed"])))
    await asyncio.sleep(0)  # the consumer is now waiting for an event

    await bus.close()

    assert await asyncio.wait_for(waiting, WAIT) == []
    with pytest.raises(BusClosedError):
        await bus.publish([Event.new("order.placed", "o-1", {})])


def test_consuming_nothing_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="at least one event type"):
        InProcessBus().consume("payments", [])


# --- retries and dead letters ------------------------------------------------------------

RETRY_DELAYS = (0.05, 0.1)


async def test_retry_delivers_again_after_growing_delays_then_gives_up() -> None:
    bus = InProcessBus(retry_delays=RETRY_DELAYS)
    stream = bus.consume("payments", ["order.placed"])
    event = Event.new("order.placed", "o-1", {})
    await bus.publish([event])
    loop = asyncio.get_running_loop()

    seen: list[tuple[Event, bool, int]] = []
    arrived: list[float] = []
    retried: list[float] = []
    for _ in range(len(RETRY_DELAYS) + 1):
        delivery = await take(stream)
        arrived.append(loop.time())
        seen.append((delivery.event, delivery.redelivered, delivery.attempt))
        retried.append(loop.time())
        await delivery.retry()
    waited = [a - r for r, a in zip(retried, arrived[1:], strict=False)]

    assert seen == [(event, False, 1), (event, False, 2), (event, False, 3)]
    assert waited[0] >= RETRY_DELAYS[0]
    assert waited[1] >= RETRY_DELAYS[1]
    assert await bus.dead_letters("payments") == [event]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(stream), RETRY_DELAYS[-1] * 3)


async def test_a_retried_event_keeps_its_attempt_when_requeued() -> None:
    bus = InProcessBus(retry_delays=RETRY_DELAYS)
    stream = bus.consume("payments", ["order.placed"])
    event = Event.new("order.placed", "o-1", {})
    await bus.publish([event])
    await (await take(stream)).retry()
    second = await take(stream)
    await second.nack(requeue=True)

    again = await take(stream)

    assert (again.event, again.redelivered, again.attempt) == (event, True, 2)
    with pytest.raises(RuntimeError, match="already settled"):
        await second.retry()


async def test_dead_letters_stay_until_requeued_by_id_or_all() -> None:
    bus = InProcessBus(retry_delays=())
    stream = bus.consume("payments", ["order.placed"])
    events = [Event.new("order.placed", f"o-{n}", {}) for n in range(3)]
    await bus.publish(events)
    for _ in events:
        await (await take(stream)).retry()  # no delays: straight to the dead letters

    assert await bus.dead_letters("payments") == events
    assert await bus.dead_letters("payments") == events  # listing removes nothing
    assert await bus.dead_letters("shipping") == []

    assert await bus.requeue_dead_letters("payments", [events[1].id]) == 1
    delivery = await take(stream)
    assert (delivery.event, delivery.redelivered, delivery.attempt) == (events[1], False, 1)
    await delivery.ack()
    assert await bus.dead_letters("payments") == [events[0], events[2]]

    assert await bus.requeue_dead_letters("payments") == 2
    assert [(await take(stream)).event for _ in range(2)] == [events[0], events[2]]
    assert await bus.dead_letters("payments") == []
    assert await bus.requeue_dead_letters("payments") == 0
    assert await bus.requeue_dead_letters("shipping") == 0


async def test_the_backlog_counts_waiting_and_unsettled_deliveries_until_idle() -> None:
    bus = InProcessBus(retry_delays=(30.0,))
    stream = bus.consume("orders", ["order.placed"])
    assert bus.backlog("orders") == 0
    assert bus.backlog("nobody") == 0
    await bus.publish([Event.new("order.placed", f"order-{n}", {}) for n in range(3)])
    assert bus.backlog("orders") == 3

    first = await take(stream)
    assert bus.backlog("orders") == 3  # two waiting, one in hand
    await first.ack()
    assert bus.backlog("orders") == 2
    second = await take(stream)
    await second.nack(requeue=True)
    assert bus.backlog("orders") == 2  # back in the queue
    again = await take(stream)
    await again.retry()  # waits out its delay: not in the backlog
    third = await take(stream)
    await third.ack()

    assert bus.backlog("orders") == 0
    await bus.close()
