"""Kafka record bytes straight into analytics rows, for the analytics worker.

Nearly every record is a tracking event (a view, search or cart add), and the
worker only inserts what it decodes. Going through `Event.from_bytes` cost
more than half of the worker's time per record: a UUID object, a validated
frozen dataclass and then a `Fact` made from it. Here a tracking record's JSON
is checked field by field, as `Event.from_bytes` checks it, and becomes its
`Fact` at once; the event id is kept as the text it came as when that text is
already the canonical form `str(uuid)` gives (what every producer writes),
and is parsed only otherwise. Other records (orders, usage) are rare and take
the `Event` path.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import orjson

from subgraphs.insights.analytics.facts import TRACKED_KINDS, Fact, Operation, tracked_fact
from subgraphs.insights.analytics.sink import rows_of
from subgraphs.platform.events import Event, MalformedEventError

_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def rows_of_record(data: bytes) -> tuple[list[Fact], list[Operation]]:
    """The rows one record adds; `MalformedEventError` if it is not an encoded event,
    `UnusableEventError` if its payload cannot become rows."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise MalformedEventError(f"event is not JSON: {error}") from error
    type_ = document.get("type") if isinstance(document, dict) else None
    kind = TRACKED_KINDS.get(type_) if isinstance(type_, str) else None
    if kind is None:
        return rows_of([Event.from_bytes(data)])
    return [tracked_fact(_event_id(document), kind, _occurred_at(document), _payload(document))], []


def _event_id(document: dict[str, Any]) -> str:
    value = document.get("id")
    if isinstance(value, str) and _CANONICAL_UUID.fullmatch(value):
        return value
    if not isinstance(value, str):
        raise MalformedEventError(f"event field 'id' must be str, got {value!r}")
    try:
        return str(uuid.UUID(value))
    except ValueError as error:
        raise MalformedEventError(f"invalid event: {error}") from error


def _occurred_at(document: dict[str, Any]) -> datetime:
    version, subject = document.get("version"), document.get("subject_id")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise MalformedEventError(f"event version must be an integer >= 1, got {version!r}")
    if not isinstance(subject, str):
        raise MalformedEventError(f"event field 'subject_id' must be str, got {subject!r}")
    value = document.get("occurred_at")
    if not isinstance(value, str):
        raise MalformedEventError(f"event field 'occurred_at' must be str, got {value!r}")
    try:
        at = datetime.fromisoformat(value)
    except ValueError as error:
        raise MalformedEventError(f"invalid event: {error}") from error
    offset = at.utcoffset()
    if offset is None or offset.total_seconds() != 0:
        raise MalformedEventError(f"occurred_at must be timezone-aware UTC, got {value!r}")
    return at


def _payload(document: dict[str, Any]) -> dict[str, Any]:
    payload = document.get("payload")
    if not isinstance(payload, dict):
        raise MalformedEventError(f"event field 'payload' must be dict, got {payload!r}")
    return payload
