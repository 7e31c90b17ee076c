"""Declaring the registered consumer groups before a first publish (subscriptions.py):
through the outbox relay on the real RabbitMQ broker and on the in-process bus, a
declaration the broker refuses, and where the routed bus declares each group.

Every RabbitMQ test uses its own exchange and groups (`broker` in conftest.py).
"""

from __future__ import annotations

import asyncio
import re

import aio_pika
import pytest

from subgraphs.platform.database import Database
from subgraphs.platform.events import (
    BusUnavailableError,
    Event,
    InProcessBus,
    KafkaBus,
    OutboxRelay,
    RoutedBus,
)
from subgraphs.platform.events.routes import TopicRoutes
from subgraphs.platform.events.subscriptions import GroupDeclarations, Subscription, registry
from tests.subgraphs.platform.events.conftest import EventTables
from tests.subgraphs.platform.events.rabbitmq_broker import WAIT, Broker, seen
from tests.subgraphs.platform.events.test_outbox import outbox_rows, write

PLACED = Event.new("order.placed", "order-1", {"n": 1})
PAID = Event.new("payment.succeeded", "order-1", {"n": 2})


def test_a_group_needs_an_event_type() -> None:
    with pytest.raises(
        ValueError, match=re.escape("social.purchases needs at least one event type")
    ):
        Subscription("social.purchases", ())


def test_a_registry_refuses_a_group_named_twice() -> None:
    first = (Subscription("social.purchases", ("order.placed",)),)
    again = (Subscription("social.purchases", ("order.status_changed",)),)

    with pytest.raises(
        ValueError, match=re.escape("consumer group social.purchases is named twice")
    ):
        registry(first, again)
    assert registry(first, ()) == first


async def test_the_relay_declares_every_group_before_its_first_publish(
    broker: Broker, database: Database, tables: EventTables
) -> None:
    bus = await broker.bus()
    payments, orders = broker.group("payments"), broker.group("orders")
    groups = [
        Subscription(payments, ("order.placed",)),
        Subscription(orders, ("payment.succeeded",)),
    ]
    relay = OutboxRelay(
        database, tables.outbox, bus, declarations=GroupDeclarations(bus, None, groups)
    )
    await write(database, tables, [PLACED, PAID])

    assert await relay.relay_once() == 2  # no consumer of either group has ever run

    # Consumers started after the publish find what they asked for waiting.
    payments_consumer = broker.consume(bus, payments, ["order.placed"])
    orders_consumer = broker.consume(bus, orders, ["payment.succeeded"])
    got = [await payments_consumer.next(), await orders_consumer.next()]
    assert [seen(delivery) for delivery in got] == [(PLACED, False, 1), (PAID, False, 1)]
    for delivery in got:
        await delivery.ack()
    assert await broker.nothing_more(payments, payments_consumer)
    assert await broker.nothing_more(orders, orders_consumer)


async def test_a_relay_publishes_nothing_while_a_group_cannot_be_declared(
    broker: Broker, database: Database, tables: EventTables
) -> None:
    bus = await broker.bus()
    payments = broker.group("payments")
    # A queue of that name the bus cannot declare as its own (not durable): the broker
    # refuses the declaration, and the bus tries again and again as it would while the
    # broker is unreachable.
    connection = await aio_pika.connect(broker.url)
    async with connection, connection.channel() as channel:
        await channel.declare_queue(payments, durable=False)
    subscription = Subscription(payments, ("order.placed",))
    declarations = GroupDeclarations(bus, None, [subscription], timeout=0.5)
    relay = OutboxRelay(database, tables.outbox, bus, declarations=declarations)
    await write(database, tables, [PLACED])

    with pytest.raises(
        BusUnavailableError, match=re.escape(f"could not declare consumer group {payments}")
    ):
        await relay.relay_once()
    # Unsent, and counted and explained as a failed publish would be.
    [(event_id, sent, attempts, last_error)] = await outbox_rows(database, tables)
    assert (event_id, sent, attempts) == (PLACED.id, False, 1)
    assert (
        last_error
        == f"BusUnavailableError: could not declare consumer group {payments} within 0.5 s"
    )
    assert not declarations.done

    async with await aio_pika.connect(broker.url) as connection, connection.channel() as channel:
        await channel.queue_delete(payments)
    assert await relay.relay_once() == 1  # declared this time, then published
    assert declarations.done
    consumer = broker.consume(bus, payments, ["order.placed"])
    delivery = await consumer.next()
    assert seen(delivery) == (PLACED, False, 1)
    await delivery.ack()
    assert await broker.nothing_more(payments, consumer)


async def test_relays_sharing_declarations_on_the_in_process_bus(
    database: Database, tables: EventTables
) -> None:
    bus = InProcessBus()
    declarations = GroupDeclarations(bus, None, [Subscription("payments", ("order.placed",))])
    first = OutboxRelay(database, tables.outbox, bus, declarations=declarations)
    second = OutboxRelay(database, tables.outbox, bus, declarations=declarations)
    await write(database, tables, [PLACED, PAID])

    assert await first.relay_once(limit=1) + await second.relay_once(limit=1) == 2
    deliveries = bus.consume("payments", ["order.placed"])  # the group's first consumer
    delivery = await asyncio.wait_for(anext(deliveries), WAIT)
    await delivery.ack()

    assert delivery.event == PLACED
    assert bus.backlog("payments") == 0


async def test_groups_that_read_the_log_get_no_queue(broker: Broker) -> None:
    queues = await broker.bus()
    # The log keeps every event for groups to come: declaring there needs no broker.
    log = KafkaBus("127.0.0.1:9", TopicRoutes({"order.*": "orders"}))
    social, recommendations, analytics = (
        broker.group(name) for name in ("social", "recommendations", "analytics")
    )
    routed = RoutedBus(queues, log, log_groups=[recommendations])
    groups = [
        Subscription(social, ("order.placed",)),
        # Reads the log because SHOPGRAPH_KAFKA_GROUPS names it.
        Subscription(recommendations, ("order.placed",)),
        # Reads the log whenever there is one (the analytics worker), named or not.
        Subscription(analytics, ("order.placed",), reads_log=True),
    ]

    await GroupDeclarations(routed, log, groups).ensure()

    assert {
        group: await _exists(broker, group) for group in (social, recommendations, analytics)
    } == {
        social: True,
        recommendations: False,
        analytics: False,
    }
    # Without a log, the analytics group's consumer reads the queue bus: it gets its queue.
    await GroupDeclarations(queues, None, groups[2:]).ensure()
    assert await _exists(broker, analytics)


async def _exists(broker: Broker, queue: str) -> bool:
    connection = await aio_pika.connect(broker.url)
    async with connection:
        channel = await connection.channel()
        try:
            await channel.declare_queue(queue, passive=True)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return False
        return True
