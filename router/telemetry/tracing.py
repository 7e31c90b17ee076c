"""OpenTelemetry tracing of the router: where spans go, and the W3C context subgraphs get.

Tracing is off unless configured: the tracer is then OpenTelemetry's no-op
one and costs next to nothing. With `otlp_endpoint` set, spans are batched
to an OTLP/HTTP collector. Tests hand in their own provider (an in-memory
exporter). The provider is the router app's own, not the process-global one.
"""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import NoOpTracer, Tracer

TRACER_NAME = "shopgraph.router"


def otlp_provider(endpoint: str, service_name: str) -> TracerProvider:
    """Spans batched to the OTLP/HTTP collector at `endpoint` (e.g. http://otel:4318)."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def router_tracer(provider: TracerProvider | None) -> Tracer:
    if provider is None:
        return NoOpTracer()
    return provider.get_tracer(TRACER_NAME)
