"""Root fields over subgraphs: one fetch per subgraph, in parallel, answers in query order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

USER_ROWS: list[dict[str, Any]] = [
    {"id": "1", "name": "Ann", "role": "CUSTOMER", "address": {"city": "Oslo", "country": "NO"}},
    {"id": "2", "name": "Bob", "role": "STAFF", "address": None},
    {"id": "3", "name": "Cy", "role": "CUSTOMER", "address": {"city": "Lyon", "country": "FR"}},
]
PRODUCT_ROWS: list[dict[str, Any]] = [
    {"upc": "p1", "name": "Table", "price": 40},
    {"upc": "p2", "name": "Chair", "price": 15},
    {"upc": "p3", "name": "Lamp", "price": 10},
]


def users_by_role(_root: Mapping[str, Any], args: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [row for row in USER_ROWS if args.get("role") in (None, row["role"])]


def top_products(_root: Mapping[str, Any], args: Mapping[str, Any]) -> list[dict[str, Any]]:
    return PRODUCT_ROWS[: args["first"]]


def filtered_products(_root: Mapping[str, Any], args: Mapping[str, Any]) -> list[dict[str, Any]]:
    limit = args["filter"].get("maxPrice")
    return [row for row in PRODUCT_ROWS if limit is None or row["price"] <= limit]


USERS = SubgraphSpec(
    name="users",
    sdl=federation_sdl(
        """
        scalar DateTime
        enum Role { CUSTOMER STAFF }
        type Query {
          me: User
          user(id: ID!): User
          users(role: Role): [User!]!
          version: String!
          now: DateTime!
        }
        type User @key(fields: "id") { id: ID! name: String! role: Role! address: Address }
        type Address { city: String! country: String! }
        """
    ),
    data={
        "Query": {
            "me": {"__typename": "User", "id": "1"},
            "version": "1.4.2",
            "now": "2026-11-27T10:00:00Z",
        },
        "User": USER_ROWS,
    },
    resolvers={"Query.users": users_by_role},
)

CATALOG = SubgraphSpec(
    name="catalog",
    sdl=federation_sdl(
        """
        input ProductFilter { maxPrice: Int }
        type Query {
          topProducts(first: Int = 2): [Product!]!
          products(filter: ProductFilter!): [Product!]!
          product(upc: String!): Product
        }
        type Product @key(fields: "upc") { upc: String! name: String! price: Int! }
        """
    ),
    data={"Product": PRODUCT_ROWS},
    resolvers={"Query.topProducts": top_products, "Query.products": filtered_products},
)

BOTH = [USERS, CATALOG]

CASES = [
    RouterCase(
        id="root-one-subgraph",
        subgraphs=BOTH,
        query="{ me { id name } }",
        expected_response={"data": {"me": {"id": "1", "name": "Ann"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="root-two-subgraphs-in-parallel",
        subgraphs=BOTH,
        query="{ me { name } topProducts { name } }",
        expected_response={
            "data": {"me": {"name": "Ann"}, "topProducts": [{"name": "Table"}, {"name": "Chair"}]}
        },
        expected_fetches={"users": 1, "catalog": 1},
    ),
    RouterCase(
        id="root-fields-of-one-subgraph-share-a-fetch",
        subgraphs=BOTH,
        query="{ me { name } users { id } version }",
        expected_response={
            "data": {
                "me": {"name": "Ann"},
                "users": [{"id": "1"}, {"id": "2"}, {"id": "3"}],
                "version": "1.4.2",
            }
        },
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="root-argument-literal",
        subgraphs=BOTH,
        query='{ user(id: "2") { name role } }',
        expected_response={"data": {"user": {"name": "Bob", "role": "STAFF"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="root-argument-default-value",
        subgraphs=BOTH,
        query="{ topProducts { upc } }",
        expected_response={"data": {"topProducts": [{"upc": "p1"}, {"upc": "p2"}]}},
        expected_fetches={"catalog": 1},
    ),
    RouterCase(
        id="root-argument-overrides-default",
        subgraphs=BOTH,
        query="{ topProducts(first: 3) { upc price } }",
        expected_response={
            "data": {
                "topProducts": [
                    {"upc": "p1", "price": 40},
                    {"upc": "p2", "price": 15},
                    {"upc": "p3", "price": 10},
                ]
            }
        },
        expected_fetches={"catalog": 1},
    ),
    RouterCase(
        id="root-enum-argument",
        subgraphs=BOTH,
        query="{ users(role: STAFF) { name } }",
        expected_response={"data": {"users": [{"name": "Bob"}]}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="root-input-object-argument",
        subgraphs=BOTH,
        query="{ products(filter: { maxPrice: 15 }) { name price } }",
        expected_response={
            "data": {"products": [{"name": "Chair", "price": 15}, {"name": "Lamp", "price": 10}]}
        },
        expected_fetches={"catalog": 1},
    ),
    RouterCase(
        id="root-scalar-and-custom-scalar-fields",
        subgraphs=BOTH,
        query="{ version now }",
        expected_response={"data": {"version": "1.4.2", "now": "2026-11-27T10:00:00Z"}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="root-typename-alone-needs-no-fetch",
        subgraphs=BOTH,
        query="{ __typename }",
        expected_response={"data": {"__typename": "Query"}},
        expected_fetches={},
    ),
    RouterCase(
        id="root-typename-beside-a-field",
        subgraphs=BOTH,
        query="{ __typename me { name } }",
        expected_response={"data": {"__typename": "Query", "me": {"name": "Ann"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="root-answer-in-query-order-across-subgraphs",
        subgraphs=BOTH,
        query='{ topProducts(first: 1) { name } me { name } version product(upc: "p3") { price } }',
        expected_response={
            "data": {
                "topProducts": [{"name": "Table"}],
                "me": {"name": "Ann"},
                "version": "1.4.2",
                "product": {"price": 10},
            }
        },
        expected_fetches={"users": 1, "catalog": 1},
    ),
    RouterCase(
        id="root-null-object",
        subgraphs=BOTH,
        query='{ user(id: "404") { name } }',
        expected_response={"data": {"user": None}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="root-empty-list",
        subgraphs=BOTH,
        query="{ topProducts(first: 0) { name } }",
        expected_response={"data": {"topProducts": []}},
        expected_fetches={"catalog": 1},
    ),
    RouterCase(
        id="root-nested-value-objects-and-nulls",
        subgraphs=BOTH,
        query="{ users { name address { city country } } }",
        expected_response={
            "data": {
                "users": [
                    {"name": "Ann", "address": {"city": "Oslo", "country": "NO"}},
                    {"name": "Bob", "address": None},
                    {"name": "Cy", "address": {"city": "Lyon", "country": "FR"}},
                ]
            }
        },
        expected_fetches={"users": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_root_fields(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
