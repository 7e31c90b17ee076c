"""One request seen by metrics, traces and logs at once: the stages the pipeline reports.

`request` opens the server span (continuing the caller's W3C `traceparent`),
sets the request id (the caller's `x-request-id`, or a new one) for logs, and
counts the request when it ends. `stage` wraps a pipeline stage in a span;
`fetch` wraps one subgraph fetch and gives the headers that carry the trace
context and the request id to the subgraph, which continues both.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from opentelemetry import propagate
from opentelemetry.trace import NoOpTracer, Span, SpanKind, Tracer

from router.telemetry.metrics import RouterMetrics
from router.telemetry.usage import UsageLog

REQUEST_ID_HEADER = "x-request-id"
MAX_REQUEST_ID = 128  # a caller's id is logged; a huge one is not ours to keep
_request_id: ContextVar[str | None] = ContextVar("shopgraph_router_request_id", default=None)


def request_id() -> str | None:
    """The id of the request being served in this context, for logs."""
    return _request_id.get()


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

    def stage(self, name: str) -> AbstractContextManager[Span]:
        return self.tracer.start_as_current_span(name)

    def cache(self, name: str, hit: bool) -> None:
        if self.metrics is not None:
            self.metrics.observe_cache(name, hit)

    @contextmanager
    def request(
        self, headers: Mapping[str, str], operation: str | None
    ) -> Iterator[RequestObservation]:
        given = headers.get(REQUEST_ID_HEADER)
        observation = RequestObservation(given[:MAX_REQUEST_ID] if given else uuid.uuid4().hex)
        token = _request_id.set(observation.request_id)
        started = time.perf_counter()
        parent = propagate.extract(headers)
        try:
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
        with self.tracer.start_as_current_span(
            "fetch", kind=SpanKind.CLIENT, attributes={"subgraph.name": subgraph}
        ):
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
