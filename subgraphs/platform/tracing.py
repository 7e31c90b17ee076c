"""Each subgraph request continues the caller's trace and carries its request id into logs.

The router sends W3C `traceparent` and `x-request-id` with every fetch. This
middleware opens the subgraph's server span as a child of the router's fetch
span (so one trace shows the request end to end) and keeps the request id in
a context variable that `RequestIdFilter` adds to every log record. Spans go
wherever the process's OpenTelemetry provider sends them (`shopgraph serve`
configures OTLP when `SHOPGRAPH_OTLP_ENDPOINT` is set); without one no span is
started at all (OpenTelemetry's no-op tracer would hand back the caller's span,
already current, for about 5 us a request) and the trace id still reaches the logs.
"""

from __future__ import annotations

import logging
import uuid
from contextvars import ContextVar

from opentelemetry import context, propagate, trace
from opentelemetry.trace import ProxyTracerProvider, SpanKind, Tracer
from starlette.types import ASGIApp, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
MAX_REQUEST_ID = 128
_request_id: ContextVar[str | None] = ContextVar("shopgraph_subgraph_request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def request_id_of(given: str | None) -> str:
    """The id of a request that came with `given` as its x-request-id (cut short), or a new one."""
    return given[:MAX_REQUEST_ID] if given else uuid.uuid4().hex


class RequestTracing:
    def __init__(self, app: ASGIApp, service: str, tracer: Tracer | None = None) -> None:
        self.app = app
        self.service = service
        self._given = tracer is not None
        self.tracer = tracer or trace.get_tracer("shopgraph.subgraph")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get(REQUEST_ID_HEADER)
        identity = _request_id.set(request_id_of(given))
        attached = context.attach(propagate.extract(headers))
        try:
            if not self._traced():
                await self.app(scope, receive, send)
                return
            with self.tracer.start_as_current_span(
                f"{self.service} {scope['path']}",
                kind=SpanKind.SERVER,
                attributes={"subgraph.name": self.service},
            ):
                await self.app(scope, receive, send)
        finally:
            context.detach(attached)
            _request_id.reset(identity)

    def _traced(self) -> bool:
        """Whether spans go anywhere: a tracer was given, or a provider is set (at any time)."""
        return self._given or not isinstance(trace.get_tracer_provider(), ProxyTracerProvider)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` and `trace_id` (empty outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or ""
        span = trace.get_current_span().get_span_context()
        record.trace_id = format(span.trace_id, "032x") if span.is_valid else ""
        return True
