"""What the router tells operators: Prometheus metrics, OpenTelemetry traces, request ids."""

from router.telemetry.metrics import RouterMetrics
from router.telemetry.observer import REQUEST_ID_HEADER, RequestObservation, Telemetry, request_id
from router.telemetry.tracing import otlp_provider, router_tracer
from router.telemetry.usage import KafkaUsageSink, UsageLog, UsageRecord, usage_record

__all__ = [
    "REQUEST_ID_HEADER",
    "KafkaUsageSink",
    "RequestObservation",
    "RouterMetrics",
    "Telemetry",
    "UsageLog",
    "UsageRecord",
    "otlp_provider",
    "request_id",
    "router_tracer",
    "usage_record",
]
