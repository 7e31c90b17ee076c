"""The event envelope every subgraph, relay, bus and consumer shares, and its wire form.

An `Event` is an immutable fact: what happened (`type`, `version` of its payload
shape), to what (`subject_id`), when (`occurred_at`, UTC) and the details
(`payload`, a JSON object). On the wire it is one JSON document encoded with
orjson; `Event.from_bytes` accepts only what `Event.to_bytes` produces.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeAlias, TypeVar, cast

import orjson

JSONValue: TypeAlias = bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"] | None
JSONObject: TypeAlias = dict[str, JSONValue]

_T = TypeVar("_T")


class MalformedEventError(ValueError):
    """Bytes that are not an encoded `Event`."""


@dataclass(frozen=True)
class Event:
    """One domain event. The payload is a plain dict, so events compare by value but
    cannot be hashed; key sets of events by `id`."""

    id: uuid.UUID
    type: str
    version: int
    occurred_at: datetime
    subject_id: str
    payload: JSONObject

    def __post_init__(self) -> None:
        # Consumers compare and order events across processes; a naive or local
        # timestamp would make that silently wrong.
        offset = self.occurred_at.utcoffset()
        if offset is None or offset.total_seconds() != 0:
            raise ValueError(f"occurred_at must be timezone-aware UTC, got {self.occurred_at!r}")
        if not self.type:
            raise ValueError("event type must not be empty")
        if self.version < 1:
            raise ValueError(f"event version must be >= 1, got {self.version}")

    @classmethod
    def new(cls, type: str, subject_id: str, payload: JSONObject, version: int = 1) -> Event:
        """A fresh event with a random id, occurring now."""
        return cls(
            id=uuid.uuid4(),
            type=type,
            version=version,
            occurred_at=datetime.now(UTC),
            subject_id=subject_id,
            payload=payload,
        )

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "id": str(self.id),
                "type": self.type,
                "version": self.version,
                "occurred_at": self.occurred_at.isoformat(),
                "subject_id": self.subject_id,
                "payload": self.payload,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Event:
        """Decode `to_bytes` output; anything else raises `MalformedEventError`."""
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise MalformedEventError(f"event is not JSON: {error}") from error
        if not isinstance(document, dict):
            raise MalformedEventError("event must be a JSON object")
        fields = cast(dict[str, Any], document)
        try:
            return cls(
                id=uuid.UUID(_field(fields, "id", str)),
                type=_field(fields, "type", str),
                version=_field(fields, "version", int),
                occurred_at=datetime.fromisoformat(_field(fields, "occurred_at", str)),
                subject_id=_field(fields, "subject_id", str),
                payload=_field(fields, "payload", dict),
            )
        except ValueError as error:
            # Bad UUID or timestamp text, or a value __post_init__ refuses.
            if isinstance(error, MalformedEventError):
                raise
            raise MalformedEventError(f"invalid event: {error}") from error


def _field(fields: dict[str, Any], name: str, kind: type[_T]) -> _T:
    value = fields.get(name)
    # bool is an int subclass; `"version": true` is still malformed.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MalformedEventError(f"event field {name!r} must be {kind.__name__}, got {value!r}")
    return value
