"""@skip and @include, with literals and variables: skipped parts cost no fetch."""

from __future__ import annotations

import pytest

from tests.router.corpus.shop import SHOP
from tests.router.harness import Composer, RouterCase, run_case

ANN_REVIEWS = [{"body": "Solid"}, {"body": "Bright"}]
SKIPPABLE_REVIEWS = "query Q($s: Boolean!) { me { name reviews @skip(if: $s) { body } } }"

CASES = [
    RouterCase(
        id="skip-literal-true-drops-a-root-field-and-its-subgraph",
        subgraphs=SHOP,
        query="{ me { name } topProducts @skip(if: true) { name } }",
        expected_response={"data": {"me": {"name": "Ann"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="include-literal-false-drops-a-jump",
        subgraphs=SHOP,
        query="{ me { name reviews @include(if: false) { body } } }",
        expected_response={"data": {"me": {"name": "Ann"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="skip-literal-false-keeps-the-jump",
        subgraphs=SHOP,
        query="{ me { name reviews @skip(if: false) { body } } }",
        expected_response={"data": {"me": {"name": "Ann", "reviews": ANN_REVIEWS}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="skip-variable-true-drops-the-jump",
        subgraphs=SHOP,
        query=SKIPPABLE_REVIEWS,
        variables={"s": True},
        expected_response={"data": {"me": {"name": "Ann"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="skip-variable-false-keeps-the-jump",
        subgraphs=SHOP,
        query=SKIPPABLE_REVIEWS,
        variables={"s": False},
        expected_response={"data": {"me": {"name": "Ann", "reviews": ANN_REVIEWS}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="include-variable-on-a-fragment-spread",
        subgraphs=SHOP,
        query="""
        query Q($x: Boolean!) { me { name ...Reviews @include(if: $x) } }
        fragment Reviews on User { reviews { body } }
        """,
        variables={"x": True},
        expected_response={"data": {"me": {"name": "Ann", "reviews": ANN_REVIEWS}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="include-variable-false-on-an-inline-fragment",
        subgraphs=SHOP,
        query="query Q($x: Boolean!) { me { name ... @include(if: $x) { reviews { body } } } }",
        variables={"x": False},
        expected_response={"data": {"me": {"name": "Ann"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="skip-and-include-on-one-field",
        subgraphs=SHOP,
        query="""
        { me {
            name @skip(if: false) @include(if: true)
            username @skip(if: true) @include(if: true)
            id @skip(if: false) @include(if: false)
        } }
        """,
        expected_response={"data": {"me": {"name": "Ann"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="skipped-key-field-still-serves-the-jump",
        subgraphs=SHOP,
        query="{ me { id @skip(if: true) reviews { body } } }",
        expected_response={"data": {"me": {"reviews": ANN_REVIEWS}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="include-variable-default-value",
        subgraphs=SHOP,
        query="query Q($x: Boolean = false) { me { name reviews @include(if: $x) { body } } }",
        expected_response={"data": {"me": {"name": "Ann"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="include-false-on-every-root-field-fetches-nothing",
        subgraphs=SHOP,
        query="query Q($x: Boolean!) { me @include(if: $x) { name } }",
        variables={"x": False},
        expected_response={"data": {}},
        expected_fetches={},
    ),
    RouterCase(
        id="skip-on-typename",
        subgraphs=SHOP,
        query="{ me { __typename @skip(if: true) name } }",
        expected_response={"data": {"me": {"name": "Ann"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="skip-variable-inside-an-entity-fetch",
        subgraphs=SHOP,
        query="""
        query Q($s: Boolean!) {
          topReviews(first: 1) { author { name @skip(if: $s) username } }
        }
        """,
        variables={"s": True},
        expected_response={"data": {"topReviews": [{"author": {"username": "ann"}}]}},
        expected_fetches={"reviews": 1, "users": 1},
    ),
    RouterCase(
        id="include-variable-false-two-jumps-down",
        subgraphs=SHOP,
        query="query Q($x: Boolean!) { me { reviews { product @include(if: $x) { name } body } } }",
        variables={"x": False},
        expected_response={"data": {"me": {"reviews": ANN_REVIEWS}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_skip_include(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
