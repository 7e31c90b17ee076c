"""The rows of the analytics store, taken from domain, tracking and usage events.

One event becomes zero or more `Fact`s (an order with three lines is one
`order_placed` fact and three `order_line` facts); each is keyed by the event
id and its line number, so a repeated event writes the same keys again and the
store keeps one copy. Money is kept as integer cents, exact on every store.
Router usage records (`operation.executed`) become `Operation`s.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, overload

from subgraphs.platform.events import Event, JSONValue

VIEWED = "product.viewed"
SEARCHED = "product.searched"
ADDED_TO_CART = "product.added_to_cart"
TRACKED_TYPES = (VIEWED, SEARCHED, ADDED_TO_CART)
ORDER_PLACED = "order.placed"
ORDER_STATUS_CHANGED = "order.status_changed"
OPERATION_EXECUTED = "operation.executed"
EVENT_TYPES = (*TRACKED_TYPES, ORDER_PLACED, ORDER_STATUS_CHANGED, OPERATION_EXECUTED)


class FactKind(enum.StrEnum):
    VIEW = "view"
    SEARCH = "search"
    CART_ADD = "cart_add"
    ORDER_PLACED = "order_placed"
    ORDER_LINE = "order_line"
    ORDER_PAID = "order_paid"


class Fact(NamedTuple):
    """A NamedTuple rather than a dataclass: the analytics worker makes tens of
    thousands a second, and a tuple is several times cheaper to build."""

    event_id: str
    line: int
    kind: FactKind
    occurred_at: datetime
    session_id: str = ""
    user_id: str = ""
    product_id: str = ""
    order_id: str = ""
    quantity: int = 0
    amount_cents: int = 0
    query: str = ""
    results: int = -1  # -1: not known (a search tracked by the storefront)

    def row(self) -> tuple[str, int, str, int, str, str, str, str, int, int, str, int]:
        """The store row, in `FACT_COLUMNS` order, with the time in Unix seconds."""
        return (
            self.event_id, self.line, self.kind.value, int(self.occurred_at.timestamp()),
            *self[4:],
        )  # fmt: skip


class FactBatch(Sequence[Fact]):
    """The facts of one batch of the analytics worker as plain row tuples in
    `FACT_COLUMNS` order, with the kind as its text: a tracking record becomes its
    row without a `Fact` (a NamedTuple is built by a Python-level `__new__`), and
    `columns()` turns the rows into what a ClickHouse insert sends with one C-level
    transpose, cheaper than twelve appends per record. Indexing gives `Fact`s, so any
    store takes a batch as a sequence of facts."""

    __slots__ = ("rows",)

    def __init__(self, facts: Iterable[Fact] = ()) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.extend(facts)

    def add_tracked(
        self, event_id: str, kind: FactKind, at: datetime, p: dict[str, JSONValue]
    ) -> None:
        """Append the fact `tracked_fact` gives, without making it; on a bad payload
        `UnusableEventError`, and nothing is appended."""
        query = _text(p, "query")
        self.rows.append(
            (
                event_id, 0, kind.value, at, _text(p, "sessionId"), _text(p, "userId"),
                _text(p, "productId"), "", _int(p, "quantity", 0), 0,
                normalized_query(query) if query else "", _int(p, "results", -1),
            )
        )  # fmt: skip

    def extend(self, facts: Iterable[Fact]) -> None:
        self.rows.extend((*fact[:2], fact.kind.value, *fact[3:]) for fact in facts)

    def columns(self) -> list[list[Any]]:
        """The batch as one list per column; [] when it is empty."""
        return [list(column) for column in zip(*self.rows, strict=True)]

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Fact: ...
    @overload
    def __getitem__(self, index: slice) -> list[Fact]: ...
    def __getitem__(self, index: int | slice) -> Fact | list[Fact]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        row = self.rows[index]
        return Fact._make((*row[:2], FactKind(row[2]), *row[3:]))


@dataclass(frozen=True)
class Operation:
    id: str
    occurred_at: datetime
    operation_name: str
    document_hash: str
    client_name: str
    client_version: str
    duration_ms: float
    error_count: int
    user_hash: str
    # The schema coordinates the operation used (`Type.field`, `Type.field(arg:)`), sorted.
    coordinates: tuple[str, ...] = ()

    def row(self) -> tuple[str, int, str, str, str, str, float, int, str, list[str]]:
        """The store row, in `OPERATION_COLUMNS` order, with the time in Unix seconds."""
        return (
            self.id, int(self.occurred_at.timestamp()), self.operation_name, self.document_hash,
            self.client_name, self.client_version, self.duration_ms, self.error_count,
            self.user_hash, list(self.coordinates),
        )  # fmt: skip


FACT_COLUMNS = (
    "event_id, line, kind, occurred_at, session_id, user_id, product_id, order_id, "
    "quantity, amount_cents, query, results"
)
OPERATION_COLUMNS = (
    "id, occurred_at, operation_name, document_hash, client_name, client_version, "
    "duration_ms, error_count, user_hash, coordinates"
)


class UnusableEventError(ValueError):
    """An event of a known type whose payload cannot become facts."""


def cents(value: JSONValue) -> int:
    try:
        return int((Decimal(str(value)) * 100).to_integral_value())
    except ArithmeticError as error:
        raise UnusableEventError(f"{value!r} is not an amount") from error


def normalized_query(query: str) -> str:
    return " ".join(query.lower().split())


TRACKED_KINDS = {
    VIEWED: FactKind.VIEW,
    SEARCHED: FactKind.SEARCH,
    ADDED_TO_CART: FactKind.CART_ADD,
}


def tracked_fact(event_id: str, kind: FactKind, at: datetime, p: dict[str, JSONValue]) -> Fact:
    """The fact of a tracking event (a view, search or cart add) with payload `p`."""
    return Fact(
        event_id, 0, kind, at,
        session_id=_text(p, "sessionId"),
        user_id=_text(p, "userId"),
        product_id=_text(p, "productId"),
        quantity=_int(p, "quantity", 0),
        query=normalized_query(_text(p, "query")),
        results=_int(p, "results", -1),
    )  # fmt: skip


def facts_of(event: Event) -> list[Fact]:
    """The facts `event` adds; [] for types analytics does not keep."""
    return facts_of_parts(
        event.type, str(event.id), event.subject_id, event.occurred_at, event.payload
    )


def facts_of_parts(
    type_: str, event_id: str, subject_id: str, at: datetime, p: dict[str, JSONValue]
) -> list[Fact]:
    """The facts of an event given by its parts (the event id in canonical text),
    for a decoder that has them without an `Event`; [] for types analytics does not keep."""
    try:
        kind = TRACKED_KINDS.get(type_)
        if kind is not None:
            return [tracked_fact(event_id, kind, at, p)]
        if type_ == ORDER_PLACED:
            return _order_facts(event_id, subject_id, at, p)
        if type_ == ORDER_STATUS_CHANGED and p.get("to") == "PAID":
            return [
                Fact(
                    event_id, 0, FactKind.ORDER_PAID, at,
                    order_id=subject_id,
                    user_id=_text(p, "userId"),
                    amount_cents=cents(p.get("total")),
                )
            ]  # fmt: skip
    except (TypeError, KeyError) as error:
        raise UnusableEventError(f"{type_} {event_id}: {error}") from error
    return []


def _order_facts(event_id: str, order_id: str, at: datetime, p: dict[str, JSONValue]) -> list[Fact]:
    user = _text(p, "userId")
    lines = p.get("lines")
    if not isinstance(lines, list):
        raise UnusableEventError(f"order.placed {event_id} has no lines")
    facts = [
        Fact(
            event_id, 0, FactKind.ORDER_PLACED, at,
            order_id=order_id,
            user_id=user,
            amount_cents=cents(p.get("total")),
        )
    ]  # fmt: skip
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise UnusableEventError(f"order.placed {event_id} has a bad line")
        quantity = _int(line, "quantity", 0)
        facts.append(
            Fact(
                event_id, number, FactKind.ORDER_LINE, at,
                order_id=order_id,
                user_id=user,
                product_id=_text(line, "productId"),
                quantity=quantity,
                amount_cents=cents(line.get("unitPrice")) * quantity,
            )
        )  # fmt: skip
    return facts


def operation_of(event: Event) -> Operation:
    """The usage record an `operation.executed` event carries."""
    return operation_of_parts(str(event.id), event.occurred_at, event.payload)


def operation_of_parts(event_id: str, at: datetime, p: dict[str, JSONValue]) -> Operation:
    """The usage record of an `operation.executed` event given by its parts."""
    duration = p.get("durationMs")
    if not isinstance(duration, int | float) or isinstance(duration, bool):
        raise UnusableEventError(f"usage record {event_id} has no duration")
    return Operation(
        id=event_id,
        occurred_at=at,
        operation_name=_text(p, "operationName") or "(anonymous)",
        document_hash=_text(p, "documentHash"),
        client_name=_text(p, "clientName"),
        client_version=_text(p, "clientVersion"),
        duration_ms=float(duration),
        error_count=_int(p, "errors", 0),
        user_hash=_text(p, "userHash"),
        coordinates=_texts(p, "coordinates"),
    )


def _text(payload: dict[str, JSONValue], name: str) -> str:
    value = payload.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UnusableEventError(f"{name} must be text, got {value!r}")
    return value


def _texts(payload: dict[str, JSONValue], name: str) -> tuple[str, ...]:
    value = payload.get(name)
    if value is None:
        return ()  # records from routers older than the coordinates
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UnusableEventError(f"{name} must be a list of text, got {value!r}")
    return tuple(sorted({str(v) for v in value}))


def _int(payload: dict[str, JSONValue], name: str, default: int) -> int:
    value = payload.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool):
        raise UnusableEventError(f"{name} must be an integer, got {value!r}")
    return value
