"""Named and inline fragments, aliases, variables, operation names and __typename, over the shop."""

from __future__ import annotations

import pytest

from tests.router.corpus.shop import SHOP
from tests.router.harness import Composer, RouterCase, run_case

ANN_REVIEWS = [{"body": "Solid"}, {"body": "Bright"}]

CASES = [
    RouterCase(
        id="fragment-named-on-a-root-object",
        subgraphs=SHOP,
        query="query { me { ...UserParts } } fragment UserParts on User { id name }",
        expected_response={"data": {"me": {"id": "1", "name": "Ann"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="fragment-spanning-two-subgraphs",
        subgraphs=SHOP,
        query="query { me { ...Profile } } fragment Profile on User { name reviews { body } }",
        expected_response={"data": {"me": {"name": "Ann", "reviews": ANN_REVIEWS}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="fragment-nested-named-fragments",
        subgraphs=SHOP,
        query="""
        query { topReviews(first: 1) { ...ReviewParts } }
        fragment ReviewParts on Review { body author { ...AuthorParts } }
        fragment AuthorParts on User { name }
        """,
        expected_response={"data": {"topReviews": [{"body": "Solid", "author": {"name": "Ann"}}]}},
        expected_fetches={"reviews": 1, "users": 1},
    ),
    RouterCase(
        id="fragment-inline-without-type-condition",
        subgraphs=SHOP,
        query="{ me { ... { name } } }",
        expected_response={"data": {"me": {"name": "Ann"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="fragment-inline-on-the-same-type-with-a-jump",
        subgraphs=SHOP,
        query="{ me { ... on User { username reviews(first: 1) { stars } } } }",
        expected_response={"data": {"me": {"username": "ann", "reviews": [{"stars": 5}]}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="fragment-fields-merged-with-the-selection",
        subgraphs=SHOP,
        query="query { me { name ...More } } fragment More on User { name id }",
        expected_response={"data": {"me": {"name": "Ann", "id": "1"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="fragment-used-in-two-places",
        subgraphs=SHOP,
        query='query { me { ...N } user(id: "2") { ...N } } fragment N on User { name }',
        expected_response={"data": {"me": {"name": "Ann"}, "user": {"name": "Bob"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="fragment-on-the-query-root",
        subgraphs=SHOP,
        query="""
        query { ...Home }
        fragment Home on Query { me { name } topProducts(first: 1) { name } }
        """,
        expected_response={"data": {"me": {"name": "Ann"}, "topProducts": [{"name": "Table"}]}},
        expected_fetches={"users": 1, "products": 1},
    ),
    RouterCase(
        id="alias-on-root-and-field",
        subgraphs=SHOP,
        query="{ myself: me { fullName: name } }",
        expected_response={"data": {"myself": {"fullName": "Ann"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="alias-on-fields-behind-a-jump",
        subgraphs=SHOP,
        query="{ topReviews(first: 1) { text: body writer: author { handle: username } } }",
        expected_response={
            "data": {"topReviews": [{"text": "Solid", "writer": {"handle": "ann"}}]}
        },
        expected_fetches={"reviews": 1, "users": 1},
    ),
    RouterCase(
        id="alias-same-field-with-different-arguments-one-fetch",
        subgraphs=SHOP,
        query="{ me { latest: reviews(first: 1) { body } all: reviews { body } } }",
        expected_response={"data": {"me": {"latest": [{"body": "Solid"}], "all": ANN_REVIEWS}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="alias-named-like-the-key-the-jump-needs",
        subgraphs=SHOP,
        query="{ me { id: name reviews { body } } }",
        expected_response={"data": {"me": {"id": "Ann", "reviews": ANN_REVIEWS}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="alias-root-field-twice-one-fetch",
        subgraphs=SHOP,
        query='{ a: user(id: "1") { name } b: user(id: "2") { name } }',
        expected_response={"data": {"a": {"name": "Ann"}, "b": {"name": "Bob"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="variables-root-argument",
        subgraphs=SHOP,
        query="query Who($id: ID!) { user(id: $id) { name } }",
        variables={"id": "2"},
        expected_response={"data": {"user": {"name": "Bob"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="variables-default-value",
        subgraphs=SHOP,
        query="query Top($first: Int = 1) { topReviews(first: $first) { body } }",
        expected_response={"data": {"topReviews": [{"body": "Solid"}]}},
        expected_fetches={"reviews": 1},
    ),
    RouterCase(
        id="variables-in-root-and-entity-fetches",
        subgraphs=SHOP,
        query="query Q($id: ID!, $n: Int) { user(id: $id) { name reviews(first: $n) { body } } }",
        variables={"id": "1", "n": 1},
        expected_response={"data": {"user": {"name": "Ann", "reviews": [{"body": "Solid"}]}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="variables-explicit-null",
        subgraphs=SHOP,
        query="query Q($n: Int) { me { reviews(first: $n) { body } } }",
        variables={"n": None},
        expected_response={"data": {"me": {"reviews": ANN_REVIEWS}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="variables-used-inside-a-fragment",
        subgraphs=SHOP,
        query="""
        query Q($n: Int) { me { ...Recent } }
        fragment Recent on User { reviews(first: $n) { stars } }
        """,
        variables={"n": 1},
        expected_response={"data": {"me": {"reviews": [{"stars": 5}]}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="operation-name-selects-the-operation",
        subgraphs=SHOP,
        query="query Mine { me { name } } query Top { topProducts(first: 1) { name } }",
        operation_name="Top",
        expected_response={"data": {"topProducts": [{"name": "Table"}]}},
        expected_fetches={"products": 1},
    ),
    RouterCase(
        id="typename-at-every-level",
        subgraphs=SHOP,
        query="""
        { __typename me {
            __typename reviews(first: 1) { __typename product { __typename name } }
        } }
        """,
        expected_response={
            "data": {
                "__typename": "Query",
                "me": {
                    "__typename": "User",
                    "reviews": [
                        {
                            "__typename": "Review",
                            "product": {"__typename": "Product", "name": "Table"},
                        }
                    ],
                },
            }
        },
        expected_fetches={"users": 1, "reviews": 1, "products": 1},
    ),
    RouterCase(
        id="typename-aliased",
        subgraphs=SHOP,
        query="{ kind: __typename me { kind: __typename name } }",
        expected_response={"data": {"kind": "Query", "me": {"kind": "User", "name": "Ann"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="field-order-follows-the-query-across-subgraphs",
        subgraphs=SHOP,
        query="{ me { reviews(first: 1) { product { price } body } name id username } }",
        expected_response={
            "data": {
                "me": {
                    "reviews": [{"product": {"price": 40}, "body": "Solid"}],
                    "name": "Ann",
                    "id": "1",
                    "username": "ann",
                }
            }
        },
        expected_fetches={"users": 1, "reviews": 1, "products": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_fragments_aliases_variables(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
