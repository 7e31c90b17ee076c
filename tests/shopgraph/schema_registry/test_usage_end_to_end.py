"""The router's usage log deciding a schema check, end to end: an ad-hoc operation (no
trusted document) goes through the router serving the published supergraph, the router
writes its usage record to Kafka (tansu), insights' analytics worker moves it into
ClickHouse, and `shopgraph schema check --usage` then fails the removal of the field it
read, naming the client and operation; without the log the same removal passes."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import orjson
from typer.testing import CliRunner

from router.config import RouterConfig
from router.http import create_router_app
from shopgraph.cli import app
from subgraphs.insights.analytics.worker import AnalyticsWorker
from subgraphs.platform.events import KafkaBus, TopicRoutes
from tests.graphql import serve
from tests.router.execution.fakes import answer, subgraphs
from tests.shopgraph.schema_registry.conftest import edited
from tests.subgraphs.insights.test_analytics_worker import run_until, store_at

ADHOC = "query Adhoc($id: ID!) { product(id: $id) { id updatedAt } }"
PRODUCT = {"id": "7", "updatedAt": "2026-12-01T10:00:00+00:00"}
CLIENT = {"apollographql-client-name": "scripts", "apollographql-client-version": "0.3"}


async def test_an_operation_the_router_served_fails_the_removal_of_a_field_it_read(
    repo: Path, kafka_url: str, clickhouse_url: str
) -> None:
    supergraph = (repo / "schema" / "supergraph.graphql").read_text()
    topic = f"t.usage.{secrets.token_hex(4)}"
    async with subgraphs(catalog=answer({"product": PRODUCT})) as fakes:
        config = RouterConfig(
            subgraph_urls={"catalog": fakes["catalog"].url},
            usage_kafka_url=kafka_url,
            usage_kafka_topic=topic,
        )
        async with serve(create_router_app(supergraph, config)) as router:
            served = await router.post(
                "/graphql", json={"query": ADHOC, "variables": {"id": "7"}}, headers=CLIENT
            )
    assert served.json() == {"data": {"product": PRODUCT}}

    store = store_at(clickhouse_url)
    await store.create_tables()
    bus = KafkaBus(
        kafka_url, TopicRoutes({"operation.*": topic}), idempotence=False, session_timeout_ms=2000
    )
    await bus.start()
    try:
        worker = AnalyticsWorker(
            bus, store, [topic], batch_size=10, flush_seconds=0.2, group=f"analytics.{topic}"
        )
        await run_until(worker, 1)
        usage_url = f"{clickhouse_url.rstrip('/').rsplit('/', 1)[0]}/{store.database}"
        sdl = edited(repo, "catalog", "  updatedAt: DateTime!\n", "")
        check = [
            "schema", "check", "--registry", str(repo / "schema"), "--subgraph", "catalog",
            "--sdl", str(sdl), "--format", "json",
        ]  # fmt: skip
        without_log = await asyncio.to_thread(CliRunner().invoke, app, check)
        with_log = await asyncio.to_thread(
            CliRunner().invoke, app, [*check, "--usage", usage_url, "--usage-days", "1"]
        )
    finally:
        await bus.close()
        await store.drop()
        await store.close()

    assert without_log.exit_code == 0, without_log.output
    assert with_log.exit_code == 1, with_log.output
    report: dict[str, Any] = orjson.loads(with_log.output)
    assert [(c["coordinate"], c["affectedOperations"], c["fails"]) for c in report["changes"]] == [
        (
            "Product.updatedAt",
            [{"client": "scripts 0.3", "operation": "Adhoc", "source": "usage log"}],
            True,
        )
    ]
