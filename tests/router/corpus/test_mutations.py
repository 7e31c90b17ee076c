"""Mutations: root fields run one after another in document order, each with its jumps done
before the next starts; consecutive fields of one subgraph may share a fetch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from graphql import GraphQLError

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case


def create_user(_root: Mapping[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": f"u-{args['name']}", "name": args["name"]}


def place_order(_root: Mapping[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    product = args["product"]
    return {"id": f"o-{product}", "product": product, "buyer": {"id": args["buyer"]}}


def fail_order(_root: Mapping[str, Any], _args: Mapping[str, Any]) -> Any:
    raise GraphQLError("payment declined", extensions={"code": "DECLINED"})


USERS = SubgraphSpec(
    name="users",
    sdl=federation_sdl(
        """
        type Query { me: User }
        type Mutation { createUser(name: String!): User! }
        type User @key(fields: "id") { id: ID! name: String! }
        """
    ),
    data={"Query": {"me": {"id": "1"}}, "User": [{"id": "1", "name": "Ann"}]},
    resolvers={"Mutation.createUser": create_user},
)
ORDERS = SubgraphSpec(
    name="orders",
    sdl=federation_sdl(
        """
        type Mutation {
          placeOrder(product: String!, buyer: ID!): Order!
          failOrder: Order
        }
        type Order @key(fields: "id") { id: ID! product: String! buyer: User! }
        type User @key(fields: "id") { id: ID! }
        """
    ),
    resolvers={"Mutation.placeOrder": place_order, "Mutation.failOrder": fail_order},
)
REVIEWS = SubgraphSpec(
    name="reviews",
    sdl=federation_sdl(
        """
        type Mutation { addReview(body: String!): Review! }
        type Review { body: String! }
        """
    ),
    resolvers={"Mutation.addReview": lambda _root, args: {"body": args["body"]}},
)
ALL = [USERS, ORDERS, REVIEWS]

CASES = [
    RouterCase(
        id="mutation-one-field",
        subgraphs=ALL,
        query='mutation { createUser(name: "Dee") { id name } }',
        expected_response={"data": {"createUser": {"id": "u-Dee", "name": "Dee"}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="mutation-fields-of-two-subgraphs-in-document-order",
        subgraphs=ALL,
        query="""
        mutation {
          a: createUser(name: "Dee") { id }
          b: placeOrder(product: "p1", buyer: "1") { id }
          c: createUser(name: "Eve") { id }
        }
        """,
        expected_response={
            "data": {"a": {"id": "u-Dee"}, "b": {"id": "o-p1"}, "c": {"id": "u-Eve"}}
        },
        expected_fetches={"users": 2, "orders": 1},
        expected_sequence=["users", "orders", "users"],
    ),
    RouterCase(
        id="mutation-consecutive-fields-of-one-subgraph-share-a-fetch",
        subgraphs=ALL,
        query="""
        mutation {
          a: createUser(name: "Dee") { id }
          b: createUser(name: "Eve") { id }
          c: placeOrder(product: "p2", buyer: "1") { product }
        }
        """,
        expected_response={
            "data": {"a": {"id": "u-Dee"}, "b": {"id": "u-Eve"}, "c": {"product": "p2"}}
        },
        expected_fetches={"users": 1, "orders": 1},
        expected_sequence=["users", "orders"],
    ),
    RouterCase(
        id="mutation-result-with-an-entity-jump",
        subgraphs=ALL,
        query='mutation { placeOrder(product: "p1", buyer: "1") { id buyer { name } } }',
        expected_response={"data": {"placeOrder": {"id": "o-p1", "buyer": {"name": "Ann"}}}},
        expected_fetches={"orders": 1, "users": 1},
        expected_sequence=["orders", "users"],
    ),
    RouterCase(
        id="mutation-jump-finishes-before-the-next-field",
        subgraphs=ALL,
        query="""
        mutation {
          order: placeOrder(product: "p1", buyer: "1") { buyer { name } }
          review: addReview(body: "Nice") { body }
        }
        """,
        expected_response={
            "data": {"order": {"buyer": {"name": "Ann"}}, "review": {"body": "Nice"}}
        },
        expected_fetches={"orders": 1, "users": 1, "reviews": 1},
        expected_sequence=["orders", "users", "reviews"],
    ),
    RouterCase(
        id="mutation-three-subgraphs-in-document-order",
        subgraphs=ALL,
        query="""
        mutation {
          review: addReview(body: "First") { body }
          user: createUser(name: "Dee") { name }
          order: placeOrder(product: "p3", buyer: "1") { product }
        }
        """,
        expected_response={
            "data": {
                "review": {"body": "First"},
                "user": {"name": "Dee"},
                "order": {"product": "p3"},
            }
        },
        expected_fetches={"reviews": 1, "users": 1, "orders": 1},
        expected_sequence=["reviews", "users", "orders"],
    ),
    RouterCase(
        id="mutation-with-variables",
        subgraphs=ALL,
        query="""
        mutation Place($product: String!, $buyer: ID!) {
          placeOrder(product: $product, buyer: $buyer) { id product }
        }
        """,
        variables={"product": "p2", "buyer": "1"},
        expected_response={"data": {"placeOrder": {"id": "o-p2", "product": "p2"}}},
        expected_fetches={"orders": 1},
    ),
    RouterCase(
        id="mutation-typename-needs-no-fetch",
        subgraphs=ALL,
        query="mutation { __typename }",
        expected_response={"data": {"__typename": "Mutation"}},
        expected_fetches={},
    ),
    RouterCase(
        id="mutation-error-does-not-stop-later-fields",
        subgraphs=ALL,
        query='mutation { failed: failOrder { id } user: createUser(name: "Dee") { id } }',
        expected_response={
            "data": {"failed": None, "user": {"id": "u-Dee"}},
            "errors": [
                {
                    "message": "payment declined",
                    "path": ["failed"],
                    "extensions": {"code": "DECLINED", "serviceName": "orders"},
                }
            ],
        },
        expected_fetches={"orders": 1, "users": 1},
        expected_sequence=["orders", "users"],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_mutations(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
