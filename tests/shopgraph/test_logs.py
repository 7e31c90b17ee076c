"""JSON log lines carry the request id of the router or subgraph request they belong to."""

from __future__ import annotations

import logging

import orjson

from router.telemetry import Telemetry
from shopgraph.logs import JsonFormatter


def test_a_line_logged_while_serving_a_request_names_it() -> None:
    record = logging.LogRecord("router", logging.WARNING, __file__, 1, "slow %s", ("users",), None)
    outside = orjson.loads(JsonFormatter().format(record))
    headers = {
        "x-request-id": "req-7",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    }
    with Telemetry().request(headers, "Top"):
        inside = orjson.loads(JsonFormatter().format(record))

    assert {k: v for k, v in inside.items() if k != "time"} == {
        "level": "warning",
        "logger": "router",
        "message": "slow users",
        "request_id": "req-7",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    }
    assert (outside["request_id"], outside["trace_id"]) == (None, None)
