"""`RabbitMQBus` on the real broker: starting, closing, and a network cut through
`tests.proxy.TcpProxy`.

Every test uses its own exchange and groups (`broker` in conftest.py).
"""

import asyncio
import gc
import logging
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import pytest

from subgraphs.platform.events import BusClosedError, BusUnavailableError, Event, RabbitMQBus
from tests.proxy import TcpProxy
from tests.subgraphs.platform.events.rabbitmq_broker import (
    RETRY_DELAYS,
    WAIT,
    Broker,
    seen,
)


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
