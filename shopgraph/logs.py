"""JSON log lines for the processes `shopgraph` starts, with the request id of each line.

The router and the subgraphs each keep the id of the request they serve in a
context variable (the router takes the caller's `x-request-id` or makes one
and sends it to every subgraph it asks), so one id finds a request's lines in
every process. `SHOPGRAPH_LOG_FORMAT=json` (or `--log-format json`) turns this on.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson
from opentelemetry import trace

from router.telemetry import request_id as router_request_id
from subgraphs.platform.tracing import current_request_id


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        span = trace.get_current_span().get_span_context()
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": router_request_id() or current_request_id(),
            "trace_id": format(span.trace_id, "032x") if span.is_valid else None,
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


def configure_json_logging(level: int = logging.INFO) -> None:
    """Every logger (uvicorn's too, run with log_config=None) writes JSON lines to stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
