"""The document stage's limits and its cache of refusals."""

from __future__ import annotations

import traceback

import pytest
from graphql import build_schema

from router.operation import DocumentCache, DocumentLimits, RequestError

SCHEMA = build_schema(
    """
    type Query { categories: [Category!]! }
    type Category { id: ID! name: String! children: [Category!]! }
    """
)


def _cache(max_query_nodes: int = 4_000, max_aliases: int = 200) -> DocumentCache:
    return DocumentCache(SCHEMA, DocumentLimits(15_000, 50, max_aliases, max_query_nodes), 100)


def doubling(levels: int, names: tuple[str, ...] = ("F",)) -> str:
    """Fragments that each spread the one before twice (under one or two names)."""
    first = " ".join(f"fragment {n}0 on Category {{ id name }}" for n in names)
    rest = " ".join(
        f"fragment {n}{i} on Category {{ "
        + " ".join(f"...{m}{i - 1}" for m in (names * 2)[:2])
        + " }"
        for i in range(1, levels + 1)
        for n in names
    )
    return f"query {{ categories {{ ...{names[0]}{levels} }} }} {first} {rest}"


def _refusal(cache: DocumentCache, query: str) -> RequestError:
    with pytest.raises(RequestError) as raised:
        cache.prepare(query)
    return raised.value


def test_fragments_spread_twice_count_once_so_doubling_is_accepted() -> None:
    prepared = _cache(max_query_nodes=3).prepare(doubling(29))

    assert len(prepared.fragments) == 30


def test_doubling_through_two_names_is_refused_by_the_query_node_limit() -> None:
    # A29 spreads A28 and B28, each of which spreads A27 and B27...: 2**29 * 2
    # fields once expanded, counted from one measure per fragment.
    error = _refusal(_cache(), doubling(29, ("A", "B")))

    assert error.errors == [
        {
            "message": "The operation selects 1073741825 fields once its fragments are "
            "expanded; the limit (max query nodes) is 4000.",
            "extensions": {"code": "MAX_QUERY_NODES_EXCEEDED"},
        }
    ]


def test_fourteen_thousand_typenames_get_a_limit_error_that_names_the_limit() -> None:
    error = _refusal(_cache(), "{ " + "__typename " * 14_000 + "}")

    assert error.errors == [
        {
            "message": "The operation selects 14000 fields once its fragments are expanded; "
            "the limit (max query nodes) is 4000.",
            "extensions": {"code": "MAX_QUERY_NODES_EXCEEDED"},
        }
    ]


def test_a_document_past_the_validators_budget_says_which_budget() -> None:
    # Under the node limit, but graphql-core's overlapping-field check gives up.
    error = _refusal(_cache(), "{ " + "__typename " * 1_500 + "}")

    assert error.failure.code == "GRAPHQL_VALIDATION_FAILED"
    assert error.errors == [
        {
            "message": "The document needs more validation work than the validator's budget "
            "allows (graphql-core's MAX_COMPLEXITY_BUDGET of field comparisons, or "
            "MAX_FRAGMENT_WORK of fragment spreads): select fewer fields that share one "
            "response name, or fewer fragments.",
            "extensions": {"code": "VALIDATION_BUDGET_EXCEEDED"},
        }
    ]


def test_spreads_under_different_conditions_each_count() -> None:
    query = (
        "query($a: Boolean!) { categories { ...F @include(if: $a) ...F } } "
        "fragment F on Category { id name }"
    )

    error = _refusal(_cache(max_query_nodes=4), query)

    assert "selects 5 fields" in error.errors[0]["message"]


def test_a_repeated_bad_document_raises_a_fresh_error_whose_traceback_does_not_grow() -> None:
    cache = _cache()
    depths = []
    errors = []
    for _ in range(5):
        error = _refusal(cache, "{ missing }")
        errors.append(error)
        depths.append(len(traceback.extract_tb(error.__traceback__)))

    assert len(cache) == 1
    assert len(set(map(id, errors))) == 5
    assert len(set(depths)) == 1
    assert (
        errors[0].errors
        == errors[-1].errors
        == [
            {
                "message": "Cannot query field 'missing' on type 'Query'.",
                "locations": [{"line": 1, "column": 3}],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ]
    )
