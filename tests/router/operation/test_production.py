"""SHOPGRAPH_ENV=production at the router: no introspection, no "Did you mean" hints."""

from __future__ import annotations

import pytest
from graphql import build_schema

from router.config import RouterConfig
from router.operation import DocumentCache, DocumentLimits, RequestError, coerce_variables

SCHEMA = build_schema(
    """
    enum Sort { NEWEST PRICE_ASC }
    type Query { products(sort: Sort): [String] }
    type Mutation { reserveStock: Boolean releaseStock: Boolean }
    """
)


def _messages(hide: bool, query: str) -> list[str]:
    cache = DocumentCache(SCHEMA, DocumentLimits(15_000, 50, 200, 4_000, 5, hide), 10)
    with pytest.raises(RequestError) as raised:
        cache.prepare(query)
    return [error["message"] for error in raised.value.errors]


def test_validation_hints_are_hidden_when_suggestions_are_off() -> None:
    query = "mutation { reserveStok }"
    assert _messages(False, query) == [
        "Cannot query field 'reserveStok' on type 'Mutation'. "
        "Did you mean 'reserveStock' or 'releaseStock'?"
    ]
    assert _messages(True, query) == ["Cannot query field 'reserveStok' on type 'Mutation'."]


def test_variable_hints_are_hidden_when_suggestions_are_off() -> None:
    cache = DocumentCache(SCHEMA, DocumentLimits(15_000, 50, 200, 4_000), 10)
    prepared = cache.prepare("query Q($s: Sort) { products(sort: $s) }").select(None)

    def message(hide: bool) -> str:
        with pytest.raises(RequestError) as raised:
            coerce_variables(SCHEMA, prepared, {"s": "NEWES"}, hide)
        return str(raised.value.errors[0]["message"])

    assert "Did you mean the enum value 'NEWEST'?" in message(False)
    assert "Did you mean" not in message(True)


def test_production_turns_introspection_and_suggestions_off_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (RouterConfig().introspection, RouterConfig().suggestions) == (True, True)
    monkeypatch.setenv("SHOPGRAPH_ENV", "production")
    production = RouterConfig()
    assert (production.env, production.introspection, production.suggestions) == (
        "production",
        False,
        False,
    )
    monkeypatch.setenv("SHOPGRAPH_ROUTER_INTROSPECTION", "true")
    assert RouterConfig().introspection is True  # an explicit setting still wins
