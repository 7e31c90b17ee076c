"""One request seen by metrics, traces and logs at once: the stages the pipeline reports.

`request` opens the server span (continuing the caller's W3C `traceparent`),
sets the request id (the caller's `x-request-id`, or a new one) for logs, and
counts the request when it ends. `stage` wraps a pipeline stage in a span;
`fetch` wraps one subgraph fetch and gives the headers that carry the trace
context and the request id to the subgraph, which continues both.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType

from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.trace import (
    NoOpTracer,
    Span,
    SpanKind,
    Tracer,
    get_current_span,
    set_span_in_context,
)

from router.telemetry.metrics import RouterMetrics
from router.telemetry.usage import UsageLog

REQUEST_ID_HEADER = "x-request-id"
MAX_REQUEST_ID = 128  # a caller's id is logged; a huge one is not ours to keep
_request_id: ContextVar[str | None] = ContextVar("shopgraph_router_request_id", default=None)


def request_id() -> str | None:
    """The id of the request being served in this context, for logs."""
    return _request_id.get()


def new_request_id() -> str:
    """A random id, formatted as `uuid.uuid4().hex` is (without building a UUID object)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return raw.hex()


class _CurrentSpan:
    """A stage under the no-op tracer: its span would be the current span, so nothing changes."""

    __slots__ = ()

    def __enter__(self) -> Span:
        return get_current_span()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        return None


_CURRENT_SPAN = _CurrentSpan()


@dataclass(slots=True)
class RequestObservation:
    request_id: str
    outcome: str = "ok"  # ok | partial | request_error | error


class Telemetry:
    def __init__(
        self,
        metrics: RouterMetrics | None = None,
        tracer: Tracer | None = None,
        usage: UsageLog | None = None,
    ) -> None:
        self.metrics = metrics
        self.tracer: Tracer = tracer or NoOpTracer()
        self.usage = usage  # None: no usage log (no Kafka configured)
        # The no-op tracer records nothing: its spans only carry the caller's
        # trace context on to the subgraphs, which `request` does without the
        # span machinery (a measurable share of each request's CPU).
        self._recording = type(self.tracer) is not NoOpTracer

    def stage(self, name: str) -> AbstractContextManager[Span]:
        if not self._recording:
            # NoOpTracer's span for a stage is the current span, made current again.
            return _CURRENT_SPAN
        return self.tracer.start_as_current_span(name)

    def cache(self, name: str, hit: bool) -> None:
        if self.metrics is not None:
            self.metrics.observe_cache(name, hit)

    @contextmanager
    def request(
        self, headers: Mapping[str, str], operation: str | None
    ) -> Iterator[RequestObservation]:
        given = headers.get(REQUEST_ID_HEADER)
        observation = RequestObservation(given[:MAX_REQUEST_ID] if given else new_request_id())
        token = _request_id.set(observation.request_id)
        started = time.perf_counter()
        parent = propagate.extract(headers)
        try:
            if not self._recording:
                with _continued(parent):
                    yield observation
                return
            with self.tracer.start_as_current_span(
                "request", context=parent, kind=SpanKind.SERVER
            ) as span:
                span.set_attribute("graphql.operation.name", operation or "")
                span.set_attribute("shopgraph.request_id", observation.request_id)
                try:
                    yield observation
                finally:
                    span.set_attribute("shopgraph.outcome", observation.outcome)
        finally:
            _request_id.reset(token)
            if self.metrics is not None:
                elapsed = time.perf_counter() - started
                self.metrics.observe_request(operation, observation.outcome, elapsed)

    @contextmanager
    def fetch(self, subgraph: str, headers: Mapping[str, str]) -> Iterator[dict[str, str]]:
        started = time.perf_counter()
        failed = False
        span = (
            self.tracer.start_as_current_span(
                "fetch", kind=SpanKind.CLIENT, attributes={"subgraph.name": subgraph}
            )
            if self._recording
            else _CURRENT_SPAN  # as `stage`: the no-op span would change nothing
        )
        with span:
            sent = dict(headers)
            propagate.inject(sent)
            current = _request_id.get()
            if current is not None:
                sent[REQUEST_ID_HEADER] = current
            try:
                yield sent
            except BaseException:
                failed = True
                raise
            finally:
                if self.metrics is not None:
                    self.metrics.observe_fetch(subgraph, time.perf_counter() - started, failed)


@contextmanager
def _continued(parent: otel_context.Context) -> Iterator[None]:
    """What NoOpTracer's request span does: the caller's span context becomes current.

    (Its span records nothing, so attributes, status and exceptions are no-ops.)
    """
    span = get_current_span(parent)
    if span is get_current_span():
        yield
        return
    token = otel_context.attach(set_span_in_context(span))
    try:
        yield
    finally:
        otel_context.detach(token)
