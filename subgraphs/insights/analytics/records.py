"""Kafka record bytes straight into analytics rows, for the analytics worker.

Going through `Event.from_bytes` cost about half of the worker's time per
record: a UUID object, a validated frozen dataclass and then a `Fact` made from
it. Here a record's JSON is checked field by field, as `Event.from_bytes` checks
it, and its rows are made from the parts at once: a tracking record (nearly
every record) is appended to the batch's `FactBatch` without even a `Fact`,
an order's facts and a usage record's `Operation` come from the same
functions as through an `Event`. The event id is kept as the text it came as
when that text is already the canonical form `str(uuid)` gives (what every
producer writes), and is parsed only otherwise.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from subgraphs.insights.analytics.facts import (
    OPERATION_EXECUTED,
    TRACKED_KINDS,
    Fact,
    FactBatch,
    Operation,
    facts_of_parts,
    operation_of_parts,
)
from subgraphs.platform.events import MalformedEventError

_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def rows_of_record(data: bytes) -> tuple[list[Fact], list[Operation]]:
    """The rows one record adds; `MalformedEventError` if it is not an encoded event,
    `UnusableEventError` if its payload cannot become rows."""
    facts = FactBatch()
    operations: list[Operation] = []
    add_record(data, facts, operations)
    return list(facts), operations


def add_record(data: bytes, facts: FactBatch, operations: list[Operation]) -> None:
    """Append the rows of one record to `facts` and `operations`; `MalformedEventError`
    if it is not an encoded event, `UnusableEventError` if its payload cannot become
    rows, and then nothing is appended."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise MalformedEventError(f"event is not JSON: {error}") from error
    if not isinstance(document, dict):
        raise MalformedEventError("event must be a JSON object")
    event_id = _event_id(document)
    type_ = document.get("type")
    if not isinstance(type_, str):
        raise MalformedEventError(f"event field 'type' must be str, got {type_!r}")
    if not type_:
        raise MalformedEventError("invalid event: event type must not be empty")
    at, subject = _occurred_at(document)
    payload = _payload(document)
    kind = TRACKED_KINDS.get(type_)
    if kind is not None:
        facts.add_tracked(event_id, kind, at, payload)
    elif type_ == OPERATION_EXECUTED:
        operations.append(operation_of_parts(event_id, at, payload))
    else:
        facts.extend(facts_of_parts(type_, event_id, subject, at, payload))


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


def _occurred_at(document: dict[str, Any]) -> tuple[datetime, str]:
    """The event's time, checked with its version and subject, and its subject."""
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
    if at.tzinfo is UTC:  # what "+00:00" and "Z" parse to: no offset to look at
        return at, subject
    offset = at.utcoffset()
    if offset is None or offset.total_seconds() != 0:
        raise MalformedEventError(f"occurred_at must be timezone-aware UTC, got {value!r}")
    return at, subject


def _payload(document: dict[str, Any]) -> dict[str, Any]:
    payload = document.get("payload")
    if not isinstance(payload, dict):
        raise MalformedEventError(f"event field 'payload' must be dict, got {payload!r}")
    return payload
