"""Fragments spread many times plan as fast as the selections they add.

A fragment spread twice under the same conditions adds nothing: planning a
document whose fragments each spread the one before twice must take the
time of its length, and give the plan of the fields it names.
"""

from __future__ import annotations

from graphql import parse

from router.planning.planner import plan_operation
from router.planning.printer import print_plan
from router.supergraph import load_supergraph
from tests.router.execution.shop import SDL

SUPERGRAPH = load_supergraph(SDL)


def _plan(query: str) -> str:
    return print_plan(plan_operation(SUPERGRAPH, parse(query), None, frozenset()))


def _doubling(on: str, first: str, levels: int = 29) -> str:
    fragments = [f"fragment F0 on {on} {{ {first} }}"] + [
        f"fragment F{i} on {on} {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)
    ]
    return " ".join(fragments)


def test_doubling_fragments_on_an_object_plan_as_their_fields() -> None:
    query = "{ topProducts { ...F29 } } " + _doubling("Product", "upc name reviews { body }")

    assert _plan(query) == _plan("{ topProducts { upc name reviews { body } } }")


def test_doubling_fragments_that_narrow_a_union_plan_as_their_fields() -> None:
    query = '{ search(text: "a") { ...F29 } } ' + _doubling(
        "SearchResult", "... on Product { upc name } ... on Shop { name }"
    )

    assert _plan(query) == _plan(
        '{ search(text: "a") { ... on Product { upc name } ... on Shop { name } } }'
    )


def test_doubling_under_a_condition_keeps_the_condition() -> None:
    fragments = ["fragment F0 on Product { upc name }"] + [
        f"fragment F{i} on Product {{ ...F{i - 1} @include(if: $on) ...F{i - 1} @include(if: $on) }}"
        for i in range(1, 30)
    ]
    query = "query($on: Boolean!) { topProducts { ...F29 } } " + " ".join(fragments)

    assert _plan(query) == _plan(
        "query($on: Boolean!) { topProducts { upc @include(if: $on) name @include(if: $on) } }"
    )
