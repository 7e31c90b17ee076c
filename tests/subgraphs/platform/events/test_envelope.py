import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from subgraphs.platform.events import Event, MalformedEventError


def test_event_survives_the_wire() -> None:
    event = Event.new(
        "order.placed",
        "order-1",
        {"total": "12.50", "lines": [{"sku": "A", "qty": 2}], "note": None, "gift": False},
        version=2,
    )

    decoded = Event.from_bytes(event.to_bytes())

    assert decoded == event
    assert decoded.occurred_at.utcoffset() == timedelta(0)


def test_new_events_get_fresh_ids_and_the_current_utc_time() -> None:
    before = datetime.now(UTC)
    first = Event.new("order.placed", "order-1", {})
    second = Event.new("order.placed", "order-1", {})

    assert first.id != second.id
    assert (first.type, first.version, first.subject_id, first.payload) == (
        "order.placed",
        1,
        "order-1",
        {},
    )
    assert before <= first.occurred_at <= datetime.now(UTC)


def _encoded(**changes: object) -> bytes:
    document: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "type": "order.placed",
        "version": 1,
        "occurred_at": "2024-05-01T12:00:00+00:00",
        "subject_id": "order-1",
        "payload": {},
    }
    document.update(changes)
    return orjson.dumps({key: value for key, value in document.items() if value is not ...})


def test_the_reference_document_decodes() -> None:
    # The malformed cases below differ from this one in one field only.
    event = Event.from_bytes(_encoded())
    assert event.occurred_at == datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b'["order.placed"]', id="not-an-object"),
        pytest.param(_encoded(id=...), id="missing-id"),
        pytest.param(_encoded(id="not-a-uuid"), id="bad-uuid"),
        pytest.param(_encoded(type=""), id="empty-type"),
        pytest.param(_encoded(version="1"), id="version-as-text"),
        pytest.param(_encoded(version=True), id="version-as-bool"),
        pytest.param(_encoded(version=0), id="version-zero"),
        pytest.param(_encoded(occurred_at="yesterday"), id="bad-timestamp"),
        pytest.param(_encoded(occurred_at="2024-05-01T12:00:00"), id="naive-timestamp"),
        pytest.param(_encoded(occurred_at="2024-05-01T14:00:00+02:00"), id="not-utc"),
        pytest.param(_encoded(subject_id=7), id="subject-not-text"),
        pytest.param(_encoded(payload=[1, 2]), id="payload-not-object"),
    ],
)
def test_malformed_bytes_are_rejected(data: bytes) -> None:
    with pytest.raises(MalformedEventError):
        Event.from_bytes(data)


def test_malformed_event_error_is_a_value_error() -> None:
    assert issubclass(MalformedEventError, ValueError)


def test_events_must_occur_in_utc() -> None:
    with pytest.raises(ValueError, match="timezone-aware UTC"):
        Event(uuid.uuid4(), "order.placed", 1, datetime(2024, 5, 1), "order-1", {})
