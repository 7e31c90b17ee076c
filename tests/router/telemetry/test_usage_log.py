"""The router's usage log end to end on the test broker (tansu) and ClickHouse: requests
through the router's HTTP app become `operation.executed` records on Kafka, insights'
analytics worker stores them, and they show up in `operationStats` with the field
coordinates each operation used."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import jwt
import orjson
from aiokafka import AIOKafkaConsumer

from router.config import RouterConfig
from router.http import create_router_app
from router.telemetry import KafkaUsageSink, UsageLog, usage_record
from router.telemetry.usage import BATCH_SIZE
from subgraphs.insights.analytics.clickhouse import ClickHouseAnalyticsStore
from subgraphs.insights.analytics.worker import AnalyticsWorker
from subgraphs.platform.events import KafkaBus, TopicRoutes
from tests.graphql import serve
from tests.router.execution.fakes import entities, subgraphs
from tests.router.execution.shop import SDL
from tests.router.execution.test_execution_errors import PRODUCTS, reviews_by_product
from tests.subgraphs.insights.test_analytics_worker import run_until, store_at

TOP = "query Top { topProducts { name reviews { body author { name } } } }"
BROKEN = "query Broken { topProducts { "
HOUR = timedelta(hours=1)


async def test_router_usage_reaches_operation_stats_with_its_coordinates(
    kafka_url: str, clickhouse_url: str
) -> None:
    clickhouse = store_at(clickhouse_url)
    await clickhouse.create_tables()
    try:
        await used_through_the_router(kafka_url, clickhouse)
    finally:
        await clickhouse.drop()
        await clickhouse.close()


async def test_a_burst_drains_in_batches_and_every_record_arrives_once(kafka_url: str) -> None:
    topic = f"t.usage.{secrets.token_hex(4)}"
    coordinates = tuple(f"Product.field{n}" for n in range(20))  # ~1 KB a record
    burst = 3 * BATCH_SIZE + 7  # several drains, each more than one Kafka record batch
    log = UsageLog(KafkaUsageSink(kafka_url, topic), burst)
    for n in range(burst):
        log.record(usage_record(f"Op{n}", "0" * 64, {}, coordinates, 1.0, 0, f"u{n}"))
    await log.start()
    await log.close()  # returns once the queue is sent

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_url, auto_offset_reset="earliest",
        enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    names: list[str] = []
    try:
        async with asyncio.timeout(30):
            while len(names) < burst:
                fetched = await consumer.getmany(timeout_ms=1000)
                for records in fetched.values():
                    names += [orjson.loads(r.value)["payload"]["operationName"] for r in records]
    finally:
        await consumer.stop()
    assert log.dropped == 0
    assert sorted(names) == sorted(f"Op{n}" for n in range(burst))


async def used_through_the_router(kafka_url: str, clickhouse: ClickHouseAnalyticsStore) -> None:
    topic = f"t.usage.{secrets.token_hex(4)}"
    handlers = {
        "products": PRODUCTS,
        "reviews": entities(reviews_by_product),
        "users": entities(lambda _: {"name": "Ada"}),
    }
    token = jwt.encode(
        {"sub": "u1"}, "the router reads sub without checking the signature", algorithm="HS256"
    )
    ios = {
        "apollographql-client-name": "ios",
        "apollographql-client-version": "2.1",
        "authorization": f"Bearer {token}",
    }
    async with subgraphs(**handlers) as fakes:
        config = RouterConfig(
            subgraph_urls={name: fake.url for name, fake in fakes.items()},
            usage_kafka_url=kafka_url,
            usage_kafka_topic=topic,
        )
        async with serve(create_router_app(SDL, config)) as client:
            for _ in range(3):
                answer = await client.post("/graphql", json={"query": TOP}, headers=ios)
                assert "errors" not in answer.json()
            broken = await client.post(
                "/graphql", json={"query": BROKEN}, headers={"x-shopgraph-client": "scripts/0.1"}
            )
            assert broken.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"

    bus = KafkaBus(
        kafka_url, TopicRoutes({"operation.*": topic}), idempotence=False, session_timeout_ms=2000
    )
    await bus.start()
    try:
        worker = AnalyticsWorker(
            bus, clickhouse, [topic], batch_size=10, flush_seconds=0.2,
            group=f"analytics.{topic}",
        )  # fmt: skip
        await run_until(worker, 4)
    finally:
        await bus.close()

    now = datetime.now(UTC)
    stats = await clickhouse.operation_stats(now - HOUR, now + HOUR, 10)
    assert [(s.operation_name, s.requests, s.errors) for s in stats] == [
        ("Top", 3, 0),
        ("(anonymous)", 1, 1),
    ]
    assert all(s.p95_ms > 0 for s in stats)
    top_hash = hashlib.sha256(TOP.encode()).hexdigest()
    broken_hash = hashlib.sha256(BROKEN.encode()).hexdigest()
    assert await clickhouse.seen_operations(now - HOUR, now + HOUR) == [
        ("ios", "2.1", "Top", top_hash, frozenset({
            "Query.topProducts", "Product.name", "Product.reviews", "Review.body",
            "Review.author", "User.name",
        })),
        # Refused before an operation was chosen: counted, with no coordinates.
        ("scripts", "0.1", "(anonymous)", broken_hash, frozenset()),
    ]  # fmt: skip
