"""Spans (in memory and to an OTLP collector), metrics and request ids of a cross-subgraph
query through the router's HTTP app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from router.config import RouterConfig
from router.http import create_router_app
from router.telemetry import RouterMetrics, Telemetry, router_tracer
from shopgraph.loopback import free_port, served
from tests.graphql import serve
from tests.router.execution.fakes import FakeSubgraph, entities, subgraphs
from tests.router.execution.shop import SDL
from tests.router.execution.test_execution_errors import PRODUCTS, reviews_by_product

QUERY = "query Top { topProducts { name reviews { body author { name } } } }"
ANSWER = {
    "data": {
        "topProducts": [
            {"name": "Table", "reviews": [{"body": "ok", "author": {"name": "Ada"}}]},
            {"name": "Couch", "reviews": [{"body": "ok", "author": {"name": "Ada"}}]},
        ]
    }
}
CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{CLIENT_TRACE}-00f067aa0ba902b7-01"


@asynccontextmanager
async def traced() -> AsyncIterator[
    tuple[httpx.AsyncClient, InMemorySpanExporter, RouterMetrics, dict[str, FakeSubgraph]]
]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    metrics = RouterMetrics()
    telemetry = Telemetry(metrics, router_tracer(provider))
    handlers = {
        "products": PRODUCTS,
        "reviews": entities(reviews_by_product),
        "users": entities(lambda _: {"name": "Ada"}),
    }
    async with subgraphs(**handlers) as fakes:
        config = RouterConfig(subgraph_urls={name: fake.url for name, fake in fakes.items()})
        app = create_router_app(SDL, config, telemetry=telemetry)
        async with serve(app) as client:
            yield client, exporter, metrics, fakes


def tree(spans: tuple[ReadableSpan, ...]) -> list[tuple[int, str, str]]:
    """(depth, name, subgraph) of each span, in start order."""
    by_id = {span.context.span_id: span for span in spans}

    def depth(span: ReadableSpan) -> int:
        parent = span.parent
        return (
            0 if parent is None or parent.span_id not in by_id else 1 + depth(by_id[parent.span_id])
        )

    ordered = sorted(spans, key=lambda s: s.start_time or 0)
    return [(depth(s), s.name, str((s.attributes or {}).get("subgraph.name", ""))) for s in ordered]


async def test_a_cross_subgraph_query_has_a_span_per_stage_and_per_fetch() -> None:
    async with traced() as (client, exporter, _, fakes):
        response = await client.post(
            "/graphql", json={"query": QUERY}, headers={"traceparent": TRACEPARENT}
        )
        spans = exporter.get_finished_spans()

    assert response.json() == ANSWER
    assert tree(spans) == [
        (0, "request", ""),
        (1, "parse", ""),
        (1, "validate", ""),
        (1, "plan", ""),
        (1, "execute", ""),
        (2, "fetch", "products"),
        (2, "fetch", "reviews"),
        (2, "fetch", "users"),
    ]
    # The client's trace goes on through the router into every subgraph.
    assert {format(span.context.trace_id, "032x") for span in spans} == {CLIENT_TRACE}
    fetch_spans = {
        str((s.attributes or {})["subgraph.name"]): s for s in spans if s.name == "fetch"
    }
    request_id = response.headers["x-request-id"]
    for name, fake in fakes.items():
        [received] = fake.received
        headers = {key.lower(): value for key, value in received.headers.items()}
        span_id = format(fetch_spans[name].context.span_id, "016x")
        assert headers["traceparent"] == f"00-{CLIENT_TRACE}-{span_id}-01"
        assert headers["x-request-id"] == request_id


async def test_a_cached_document_and_plan_skip_parse_validate_and_plan_work() -> None:
    async with traced() as (client, exporter, metrics, _):
        await client.post("/graphql", json={"query": QUERY})
        exporter.clear()
        again = await client.post("/graphql", json={"query": QUERY, "operationName": "Top"})
        names = [span.name for span in exporter.get_finished_spans()]

    assert again.json() == ANSWER
    assert sorted(names) == ["execute", "fetch", "fetch", "fetch", "plan", "request"]
    assert samples(metrics, "shopgraph_router_cache_lookups_total") == {
        (("cache", "document"), ("result", "hit")): 1.0,
        (("cache", "document"), ("result", "miss")): 1.0,
        (("cache", "plan"), ("result", "hit")): 1.0,
        (("cache", "plan"), ("result", "miss")): 1.0,
    }


def samples(metrics: RouterMetrics, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    text = metrics.render().decode()
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


async def test_metrics_count_requests_by_operation_and_outcome_and_fetches_by_subgraph() -> None:
    async with traced() as (client, _, metrics, fakes):
        metrics.count_active_subscriptions(lambda: 3)
        await client.post("/graphql", json={"query": QUERY, "operationName": "Top"})
        await client.post("/graphql", json={"query": "{ nope }", "operationName": "Bad"})
        await fakes["users"].close()  # users is gone: partial data, a fetch error
        partial = await client.post("/graphql", json={"query": QUERY, "operationName": "Top"})
        scraped = await client.get("/metrics")

    assert partial.json()["errors"][0]["extensions"]["code"] == "SUBGRAPH_ERROR"
    assert scraped.headers["content-type"].startswith("text/plain; version=")
    assert samples(metrics, "shopgraph_router_requests_total") == {
        (("operation", "Top"), ("outcome", "ok")): 1.0,
        (("operation", "Top"), ("outcome", "partial")): 1.0,
        (("operation", "Bad"), ("outcome", "request_error")): 1.0,
    }
    latency = samples(metrics, "shopgraph_router_request_duration_seconds_count")
    assert latency[(("operation", "Top"), ("outcome", "ok"))] == 1.0
    assert samples(metrics, "shopgraph_router_subgraph_fetch_duration_seconds_count") == {
        (("subgraph", "products"),): 2.0,
        (("subgraph", "reviews"),): 2.0,
        (("subgraph", "users"),): 2.0,
    }
    assert samples(metrics, "shopgraph_router_subgraph_fetch_errors_total") == {
        (("subgraph", "users"),): 1.0
    }
    assert samples(metrics, "shopgraph_router_active_subscriptions") == {(): 3.0}
    assert "shopgraph_router_requests_total" in scraped.text


async def test_spans_go_to_the_configured_otlp_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    """`otlp_endpoint` set: the router's spans reach an OTLP/HTTP collector (a fake one here,
    decoding what the exporter posts), under the configured service name."""
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")  # milliseconds between batches
    exported: list[ExportTraceServiceRequest] = []
    root_arrived = asyncio.Event()

    async def traces(request: Request) -> Response:
        batch = ExportTraceServiceRequest.FromString(await request.body())
        exported.append(batch)
        names = {
            span.name for rs in batch.resource_spans for ss in rs.scope_spans for span in ss.spans
        }
        if "request" in names:  # the root ends last: every span of the query is out
            root_arrived.set()
        return Response(
            ExportTraceServiceResponse().SerializeToString(), media_type="application/x-protobuf"
        )

    collector, port = Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])]), free_port()
    handlers = {
        "products": PRODUCTS,
        "reviews": entities(reviews_by_product),
        "users": entities(lambda _: {"name": "Ada"}),
    }
    async with served(collector, port) as collector_url, subgraphs(**handlers) as fakes:
        config = RouterConfig(
            subgraph_urls={name: fake.url for name, fake in fakes.items()},
            otlp_endpoint=collector_url,
            service_name="edge-router",
        )
        async with serve(create_router_app(SDL, config)) as client:
            response = await client.post(
                "/graphql", json={"query": QUERY}, headers={"traceparent": TRACEPARENT}
            )
            await asyncio.wait_for(root_arrived.wait(), 20)

    assert response.json() == ANSWER
    spans = [
        (attribute.value.string_value, span)
        for batch in exported
        for rs in batch.resource_spans
        for attribute in rs.resource.attributes
        if attribute.key == "service.name"
        for ss in rs.scope_spans
        for span in ss.spans
    ]
    assert sorted(span.name for _, span in spans) == sorted(
        ["request", "parse", "validate", "plan", "execute", "fetch", "fetch", "fetch"]
    )
    assert {(service, span.trace_id.hex()) for service, span in spans} == {
        ("edge-router", CLIENT_TRACE)
    }


async def test_without_tracing_the_callers_trace_context_still_reaches_every_subgraph() -> None:
    handlers = {
        "products": PRODUCTS,
        "reviews": entities(reviews_by_product),
        "users": entities(lambda _: {"name": "Ada"}),
    }
    async with subgraphs(**handlers) as fakes:
        config = RouterConfig(subgraph_urls={name: fake.url for name, fake in fakes.items()})
        async with serve(create_router_app(SDL, config, telemetry=Telemetry())) as client:
            response = await client.post(
                "/graphql", json={"query": QUERY}, headers={"traceparent": TRACEPARENT}
            )
            untraced = await client.post("/graphql", json={"query": QUERY})

    assert response.json() == untraced.json() == ANSWER
    for fake in fakes.values():
        first, second = (
            {key.lower(): value for key, value in received.headers.items()}
            for received in fake.received
        )
        assert first["traceparent"] == TRACEPARENT
        assert "traceparent" not in second
