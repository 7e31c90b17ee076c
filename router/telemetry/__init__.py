"""What the router tells operators: Prometheus metrics, OpenTelemetry traces, request ids."""

from router.telemetry.metrics import RouterMetrics
from router.telemetry.observer import REQUEST_ID_HEADER, RequestObservation, Telemetry, request_id
from router.telemetry.tracing import otlp_provider, router_tracer

__all__ = [
    "REQUEST_ID_HEADER",
    "RequestObservation",
    "RouterMetrics",
    "Telemetry",
    "otlp_provider",
    "request_id",
    "router_tracer",
]
