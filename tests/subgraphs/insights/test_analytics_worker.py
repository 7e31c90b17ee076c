"""`shopgraph worker analytics` on the real broker (tansu) and ClickHouse: batches from the
log into the store, unusable records to the dead-letter topic, repeats kept once, and a
ClickHouse outage (a cut TCP proxy) that loses and duplicates nothing. Also the tracking
buffer while Kafka is cut: bounded, dropping with a count, and sending the rest after."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from aiokafka import AIOKafkaConsumer

from shopgraph.loopback import free_port
from subgraphs.insights.analytics.clickhouse import ClickHouseAnalyticsStore
from subgraphs.insights.analytics.port import FunnelCounts, Granularity, OperationStat, SalesPoint
from subgraphs.insights.analytics.worker import AnalyticsWorker
from subgraphs.platform.events import Event, KafkaBus, TopicRoutes
from subgraphs.platform.events.kafka import DEAD_REASON_HEADER, dead_topic_name
from subgraphs.platform.events.tracking import Tracker
from tests.kafka import tansu
from tests.proxy import TcpProxy
from tests.subgraphs.insights.conftest import until
from tests.subgraphs.insights.data import T0, event, history

WAIT = 30.0
DAY = timedelta(days=1)


def routes(suffix: str) -> TopicRoutes:
    return TopicRoutes(
        {
            "order.*": f"t.commerce.{suffix}",
            "product.*": f"t.tracking.{suffix}",
            "operation.*": f"t.usage.{suffix}",
        }
    )


async def open_bus(url: str, suffix: str) -> KafkaBus:
    bus = KafkaBus(url, routes(suffix), idempotence=False, session_timeout_ms=2000)
    await bus.start()
    return bus


def store_at(clickhouse_url: str, port: int | None = None) -> ClickHouseAnalyticsStore:
    address = urlsplit(clickhouse_url)
    host_port = f"{address.hostname}:{port or address.port or 9000}"
    return ClickHouseAnalyticsStore(f"clickhouse://{host_port}/test_{secrets.token_hex(4)}")


@pytest.fixture
async def clickhouse(clickhouse_url: str) -> AsyncIterator[ClickHouseAnalyticsStore]:
    store = store_at(clickhouse_url)
    await store.create_tables()
    yield store
    await store.drop()
    await store.close()


async def run_until(worker: AnalyticsWorker, committed: int) -> None:
    """Run `worker` until it committed `committed` records, then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        async with asyncio.timeout(WAIT):
            while worker.committed < committed:
                worker.progress.clear()
                await worker.progress.wait()
    finally:
        stop.set()
        await task


async def assert_history_reported(store: ClickHouseAnalyticsStore) -> None:
    day = T0.replace(hour=0, minute=0)
    assert await store.sales_report(day, day + DAY, Granularity.DAY) == [
        SalesPoint(day, 2, Decimal("35.50"))
    ]
    assert await store.funnel(T0 - DAY, T0 + DAY) == FunnelCounts(3, 2, 2, 1)
    assert await store.operation_stats(T0 - DAY, T0 + DAY, 20) == [
        OperationStat("Products", 20, 2, 20.0),
        OperationStat("Me", 1, 1, 5.0),
    ]


async def dead_letters(url: str, topic: str, count: int) -> list[tuple[bytes, bytes]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=url, auto_offset_reset="earliest")
    await consumer.start()
    found: list[tuple[bytes, bytes]] = []
    try:
        async with asyncio.timeout(WAIT):
            while len(found) < count:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    found += [(r.value, dict(r.headers)[DEAD_REASON_HEADER]) for r in records]
    finally:
        await consumer.stop()
    return found


async def test_the_worker_stores_the_log_once_and_dead_letters_the_unusable(
    kafka_url: str, clickhouse: ClickHouseAnalyticsStore
) -> None:
    suffix = secrets.token_hex(4)
    bus = await open_bus(kafka_url, suffix)
    events = history()
    bad = event("order.placed", "X", {"userId": "u9", "total": "1.00"}, T0)  # no lines
    try:
        await bus.publish(events[:10])
        await bus.send([(f"t.commerce.{suffix}", "junk", b"not an event")])
        await bus.publish([bad, *events[10:]])
        worker = AnalyticsWorker(
            bus, clickhouse, sorted(set(routes(suffix).routes.values())),
            batch_size=7, flush_seconds=0.2, group=f"analytics.{suffix}",
        )  # fmt: skip
        await run_until(worker, len(events) + 2)
        await assert_history_reported(clickhouse)
        dead = await dead_letters(kafka_url, dead_topic_name(worker.group), 2)
        assert sorted(dead) == sorted(
            [
                (
                    b"not an event",
                    b"unusable: event is not JSON: invalid literal, expected 'null': line 1 column 1 (char 0)",
                ),
                (
                    bad.to_bytes(),
                    b"unusable: order.placed " + str(bad.id).encode() + b" has no lines",
                ),
            ]
        )

        # The whole log again (a relay that published twice, a crash before a
        # commit): a new consumer group reads every record once more.
        again = AnalyticsWorker(
            bus, clickhouse, sorted(set(routes(suffix).routes.values())),
            batch_size=1000, flush_seconds=0.2, group=f"analytics.again.{suffix}",
        )  # fmt: skip
        await run_until(again, len(events) + 2)
        assert (worker.inserted, again.inserted) == (len(events) + 4, len(events) + 4)
        await assert_history_reported(clickhouse)
    finally:
        await bus.close()


async def test_clickhouse_down_the_worker_retries_and_loses_nothing(
    kafka_url: str, clickhouse_url: str
) -> None:
    suffix = secrets.token_hex(4)
    bus = await open_bus(kafka_url, suffix)
    target = urlsplit(clickhouse_url)
    async with TcpProxy(target.hostname or "127.0.0.1", target.port or 9000) as proxy:
        store = store_at(clickhouse_url, proxy.port)
        await store.create_tables()
        events = history()
        worker = AnalyticsWorker(
            bus, store, sorted(set(routes(suffix).routes.values())),
            batch_size=100, flush_seconds=0.2, group=f"analytics.{suffix}",
            backoff=(0.05, 0.1),
        )  # fmt: skip
        stop = asyncio.Event()
        try:
            await proxy.cut()
            await bus.publish(events)
            task = asyncio.create_task(worker.run(stop))
            await until(lambda: worker.store_failures >= 3)
            assert worker.committed == 0
            await proxy.restore()
            async with asyncio.timeout(WAIT):
                while worker.committed < len(events):
                    worker.progress.clear()
                    await worker.progress.wait()
            stop.set()
            await task
            assert worker.committed == len(events)
            await assert_history_reported(store)
        finally:
            stop.set()
            await store.drop()
            await store.close()
            await bus.close()


async def test_tracking_waits_in_a_bounded_buffer_while_kafka_is_cut(
    caplog: pytest.LogCaptureFixture,
) -> None:
    suffix = secrets.token_hex(4)
    broker_port = free_port()
    async with TcpProxy("127.0.0.1", broker_port) as proxy:
        with tansu(port=broker_port, advertised_port=proxy.port) as url:
            bus = KafkaBus(
                url, routes(suffix), idempotence=False, session_timeout_ms=2000, publish_timeout=1.0
            )
            await bus.start()
            tracker = Tracker(
                bus.publish, capacity=5, batch_size=2, flush_seconds=0.05, retry_seconds=0.1
            )
            offered = [event("product.viewed", "s1", {"sessionId": "s1"}, T0) for _ in range(8)]
            try:
                async with tracker.running():
                    await proxy.cut()
                    with caplog.at_level(
                        logging.WARNING, logger="subgraphs.platform.events.tracking"
                    ):
                        accepted = [tracker.offer(e) for e in offered]
                    await proxy.restore()
                    await until(lambda: tracker.waiting == 0)
                received = await _events(url, f"t.tracking.{suffix}", tracker.sent)
            finally:
                await bus.close()
    assert accepted == [True] * 5 + [False] * 3
    assert (tracker.dropped, tracker.sent) == (3, 5)
    assert {e.id for e in received} == {e.id for e in offered[:5]}
    warnings = [r.getMessage() for r in caplog.records if "tracking buffer full" in r.getMessage()]
    assert warnings == ["tracking buffer full (5 events): dropping events, 1 dropped so far"]


async def _events(url: str, topic: str, count: int) -> list[Event]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=url, auto_offset_reset="earliest")
    await consumer.start()
    found: list[Event] = []
    try:
        async with asyncio.timeout(WAIT):
            while len(found) < count:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    found += [Event.from_bytes(r.value) for r in records]
    finally:
        await consumer.stop()
    return found
