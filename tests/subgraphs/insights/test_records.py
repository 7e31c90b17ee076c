"""`rows_of_record`: a record's bytes become the same rows as through `Event.from_bytes`,
and bytes that `Event.from_bytes` refuses are refused with the same error type."""

from __future__ import annotations

import orjson
import pytest

from subgraphs.insights.analytics.facts import Fact, FactKind, UnusableEventError
from subgraphs.insights.analytics.records import rows_of_record
from subgraphs.insights.analytics.sink import rows_of
from subgraphs.platform.events import Event, MalformedEventError
from tests.subgraphs.insights.data import T0, history, tracked


def test_every_kind_of_record_gives_the_rows_of_its_event() -> None:
    events = [
        *history(),
        tracked("product.searched", "s4", None, T0, query="  Red  SHOES ", results=0),
    ]
    for event in events:
        assert rows_of_record(event.to_bytes()) == rows_of([event])


def test_an_event_id_in_another_spelling_is_stored_in_the_canonical_one() -> None:
    event = tracked("product.viewed", "s1", "u1", T0, productId="p1")
    document = orjson.loads(event.to_bytes())
    document["id"] = "{" + str(event.id).upper() + "}"

    facts, operations = rows_of_record(orjson.dumps(document))

    assert facts == [Fact(str(event.id), 0, FactKind.VIEW, T0, "s1", "u1", "p1")]
    assert operations == []


def _view(**changes: object) -> bytes:
    document = orjson.loads(tracked("product.viewed", "s1", None, T0, productId="p1").to_bytes())
    document.update(changes)
    return orjson.dumps({k: v for k, v in document.items() if v is not None})


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[1, 2]",
        _view(id="not-a-uuid"),
        _view(id=7),
        _view(version=0),
        _view(version=True),
        _view(subject_id=3),
        _view(occurred_at="2026-11-02T10:15:00"),  # naive
        _view(occurred_at="2026-11-02T10:15:00+02:00"),  # not UTC
        _view(occurred_at="yesterday"),
        _view(payload=["p1"]),
        _view(payload=None),  # missing
    ],
)
def test_what_event_from_bytes_refuses_is_refused(data: bytes) -> None:
    with pytest.raises(MalformedEventError):
        Event.from_bytes(data)
    with pytest.raises(MalformedEventError):
        rows_of_record(data)


def test_a_tracking_payload_of_the_wrong_shape_is_unusable() -> None:
    data = _view(payload={"sessionId": "s1", "productId": 42})
    with pytest.raises(UnusableEventError):
        rows_of([Event.from_bytes(data)])
    with pytest.raises(UnusableEventError):
        rows_of_record(data)
