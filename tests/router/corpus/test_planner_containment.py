"""Planner containment: operations whose naive planning explodes are planned in linear time."""

from __future__ import annotations

import pytest

from tests.router.corpus.shop import SHOP
from tests.router.harness import Composer, RouterCase, run_case


def doubling(depth: int, type_name: str, fields: str) -> str:
    """Fragments F0..F{depth}: each spreads the one before twice (2^depth spreads in all)."""
    definitions = [f"fragment F0 on {type_name} {{ {fields} }}"]
    definitions += [
        f"fragment F{n} on {type_name} {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, depth + 1)
    ]
    return " ".join(definitions)


CASES = [
    RouterCase(
        id="containment-fragment-doubling-planned-once",
        subgraphs=SHOP,
        query="{ topProducts(first: 2) { ...F30 } } " + doubling(30, "Product", "upc name"),
        expected_response={
            "data": {
                "topProducts": [{"upc": "p1", "name": "Table"}, {"upc": "p2", "name": "Chair"}]
            }
        },
        expected_fetches={"products": 1},
    ),
    RouterCase(
        id="containment-fragment-doubling-across-a-jump",
        subgraphs=SHOP,
        query="{ me { ...F24 } } " + doubling(24, "User", "name reviews(first: 1) { body }"),
        expected_response={"data": {"me": {"name": "Ann", "reviews": [{"body": "Solid"}]}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="containment-fragment-doubling-under-conditions",
        subgraphs=SHOP,
        query=(
            "query ($all: Boolean!) { me { ...F20 @include(if: $all) username } } "
            + doubling(20, "User", "name")
        ),
        variables={"all": False},
        expected_response={"data": {"me": {"username": "ann"}}},
        expected_fetches={"users": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_planner_containment(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
