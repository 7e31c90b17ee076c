"""`rows_of_record` and `add_record`: a record's bytes become the same rows as through
`Event.from_bytes`, bytes that `Event.from_bytes` refuses are refused with the same error
type, and a refused record adds nothing to the batch's columns."""

from __future__ import annotations

import orjson
import pytest

from subgraphs.insights.analytics.facts import (
    Fact,
    FactBatch,
    FactKind,
    Operation,
    UnusableEventError,
)
from subgraphs.insights.analytics.records import add_record, rows_of_record
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


def test_a_batch_of_records_gives_the_rows_of_its_events() -> None:
    events = history()
    facts = FactBatch()
    operations: list[Operation] = []
    for event in events:
        add_record(event.to_bytes(), facts, operations)

    assert (list(facts), operations) == rows_of(events)
    assert any(f.kind is FactKind.ORDER_LINE for f in facts)
    assert operations
    assert facts[1:3] == list(facts)[1:3]
    assert list(FactBatch(list(facts))) == list(facts)
    columns = [list(column) for column in zip(*facts, strict=True)]
    columns[2] = [fact.kind.value for fact in facts]
    assert facts.columns() == columns


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


@pytest.mark.parametrize(
    "data",
    [
        _view(payload={"sessionId": "s1", "productId": "p1", "results": "many"}),
        _view(type="order.placed", payload={"lines": [{"productId": "p1"}, 7]}),
        _view(type="operation.executed", payload={"operationName": "Me"}),
        _view(type=""),
        _view(version="2"),
    ],
)
def test_a_refused_record_adds_nothing_to_the_batch(data: bytes) -> None:
    facts = FactBatch()
    operations: list[Operation] = []
    add_record(tracked("product.viewed", "s1", None, T0, productId="p1").to_bytes(), facts, [])

    with pytest.raises((MalformedEventError, UnusableEventError)):
        add_record(data, facts, operations)

    assert len(facts) == 1
    assert [len(column) for column in facts.columns()] == [1] * len(Fact._fields)
    assert operations == []
