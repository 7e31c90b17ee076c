"""A subgraph continues the router's trace and logs the router's request id, or its own:
one id per request, in its logs, its errors and its response."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import strawberry
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from subgraphs.platform.app import SubgraphSpec, create_subgraph_app
from subgraphs.platform.resources import Platform
from subgraphs.platform.schema import federation_schema
from subgraphs.platform.settings import Settings
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


async def test_without_a_tracer_provider_logs_still_carry_the_callers_trace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = RequestTracing(
        Starlette(routes=[Route("/graphql", graphql, methods=["POST"])]), "catalog"
    )
    caplog.handler.addFilter(RequestIdFilter())
    headers = {"traceparent": f"00-{TRACE}-{ROUTER_FETCH_SPAN}-01", "x-request-id": "req-42"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        with caplog.at_level(logging.WARNING, logger="tests.subgraph"):
            await client.post("/graphql", headers=headers)
            await client.post("/graphql")

    [traced, untraced] = caplog.records
    assert (traced.request_id, traced.trace_id) == ("req-42", TRACE)  # type: ignore[attr-defined]
    assert untraced.trace_id == ""  # type: ignore[attr-defined]  # no trace to continue


@strawberry.type
class Query:
    @strawberry.field
    def broken(self) -> int:
        raise RuntimeError("the disk is on fire")


@asynccontextmanager
async def platform_services(platform: Platform, _: None) -> AsyncIterator[Platform]:
    yield platform


async def always_ready(_: Platform) -> None:
    return None


BROKEN: SubgraphSpec[Platform, None, None] = SubgraphSpec(
    name="broken",
    schema=federation_schema(Query),
    open_services=platform_services,
    make_loaders=lambda _: None,
    check_ready=always_ready,
)


async def test_a_request_without_an_id_has_one_id_in_its_logs_error_and_header(
    tmp_path: Path, signing_key_pem: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_subgraph_app(
        BROKEN, Settings(data_dir=tmp_path / "data", jwt_private_key=signing_key_pem)
    )
    caplog.handler.addFilter(RequestIdFilter())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        with caplog.at_level(logging.WARNING, logger="shopgraph.errors"):
            posted = await client.post("/graphql", json={"query": "{ broken }"})
            # A GET goes through Strawberry's own HTTP handling rather than `PostedGraphQL`.
            got = await client.get("/graphql", params={"query": "{ broken }"})

    ids = [answer.headers["x-request-id"] for answer in (posted, got)]
    assert [len(request_id) for request_id in ids] == [32, 32]
    assert ids[0] != ids[1]
    for answer, request_id in zip((posted, got), ids, strict=True):
        [error] = answer.json()["errors"]
        assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert [record.request_id for record in caplog.records] == ids  # type: ignore[attr-defined]
    assert [record.getMessage() for record in caplog.records] == [
        f"request {request_id} failed at ['broken']" for request_id in ids
    ]
