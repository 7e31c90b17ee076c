"""A subgraph continues the router's trace and logs the router's request id."""

from __future__ import annotations

import logging

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from subgraphs.platform.tracing import RequestIdFilter, RequestTracing

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
ROUTER_FETCH_SPAN = "00f067aa0ba902b7"
log = logging.getLogger("tests.subgraph")


async def graphql(_: Request) -> PlainTextResponse:
    log.warning("resolving")
    return PlainTextResponse("ok")


async def test_the_subgraph_span_is_a_child_of_the_routers_fetch_and_logs_carry_ids(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = RequestTracing(
        Starlette(routes=[Route("/graphql", graphql, methods=["POST"])]),
        "catalog",
        provider.get_tracer("test"),
    )
    caplog.handler.addFilter(RequestIdFilter())
    headers = {"traceparent": f"00-{TRACE}-{ROUTER_FETCH_SPAN}-01", "x-request-id": "req-42"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        with caplog.at_level(logging.WARNING, logger="tests.subgraph"):
            answered = await client.post("/graphql", headers=headers)
            anonymous = await client.post("/graphql")

    assert answered.text == anonymous.text == "ok"
    first, second = exporter.get_finished_spans()
    assert first.name == "catalog /graphql"
    assert format(first.context.trace_id, "032x") == TRACE
    assert first.parent is not None
    assert format(first.parent.span_id, "016x") == ROUTER_FETCH_SPAN
    assert second.parent is None  # no traceparent: a trace of its own
    [ours, theirs] = caplog.records
    assert (ours.request_id, ours.trace_id) == ("req-42", TRACE)  # type: ignore[attr-defined]
    assert len(theirs.request_id) == 32  # type: ignore[attr-defined]  # a fresh id
    assert theirs.trace_id == format(second.context.trace_id, "032x")  # type: ignore[attr-defined]
