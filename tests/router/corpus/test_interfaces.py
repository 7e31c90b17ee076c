"""Interfaces: type conditions, jumps per implementation, interfaces a subgraph knows in part."""

from __future__ import annotations

import pytest

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

CATALOG = SubgraphSpec(
    name="catalog",
    sdl=federation_sdl(
        """
        type Query { products: [Product!]! featured: Product }
        interface Product { id: ID! name: String! }
        type Book implements Product @key(fields: "id") { id: ID! name: String! author: String! }
        type Movie implements Product @key(fields: "id") {
          id: ID! name: String! director: String!
        }
        """
    ),
    data={
        "Query": {
            "products": [
                {"__typename": "Book", "id": "b1"},
                {"__typename": "Movie", "id": "m1"},
                {"__typename": "Book", "id": "b2"},
            ],
            "featured": {"__typename": "Movie", "id": "m1"},
        },
        "Book": [
            {"id": "b1", "name": "Dune", "author": "Herbert"},
            {"id": "b2", "name": "Emma", "author": "Austen"},
        ],
        "Movie": [{"id": "m1", "name": "Alien", "director": "Scott"}],
    },
)
STOCK = SubgraphSpec(
    name="stock",
    sdl=federation_sdl(
        """
        type Book @key(fields: "id") { id: ID! inStock: Boolean! }
        type Movie @key(fields: "id") { id: ID! inStock: Boolean! }
        """
    ),
    data={
        "Book": [{"id": "b1", "inStock": True}, {"id": "b2", "inStock": False}],
        "Movie": [{"id": "m1", "inStock": True}],
    },
)
# Knows Product with only its id, and only Book among its implementations.
PICKS = SubgraphSpec(
    name="picks",
    sdl=federation_sdl(
        """
        type Query { staffPicks: [Product!]! }
        interface Product { id: ID! }
        type Book implements Product @key(fields: "id") { id: ID! }
        """
    ),
    data={"Query": {"staffPicks": [{"__typename": "Book", "id": "b2"}]}},
)
USERS = SubgraphSpec(
    name="users",
    sdl=federation_sdl(
        """
        type Query { me: User }
        type User @key(fields: "id") { id: ID! name: String! favorite: Product }
        interface Product { id: ID! }
        type Movie implements Product @key(fields: "id") { id: ID! }
        """
    ),
    data={
        "Query": {"me": {"id": "1"}},
        "User": [{"id": "1", "name": "Ann", "favorite": {"__typename": "Movie", "id": "m1"}}],
    },
)
ALL = [CATALOG, STOCK, PICKS, USERS]

CASES = [
    RouterCase(
        id="interface-field-of-the-interface",
        subgraphs=ALL,
        query="{ products { name } }",
        expected_response={
            "data": {"products": [{"name": "Dune"}, {"name": "Alien"}, {"name": "Emma"}]}
        },
        expected_fetches={"catalog": 1},
    ),
    RouterCase(
        id="interface-typename-gives-the-concrete-type",
        subgraphs=ALL,
        query="{ products { __typename id } }",
        expected_response={
            "data": {
                "products": [
                    {"__typename": "Book", "id": "b1"},
                    {"__typename": "Movie", "id": "m1"},
                    {"__typename": "Book", "id": "b2"},
                ]
            }
        },
        expected_fetches={"catalog": 1},
    ),
    RouterCase(
        id="interface-type-conditions-in-one-subgraph",
        subgraphs=ALL,
        query="{ products { name ... on Book { author } ... on Movie { director } } }",
        expected_response={
            "data": {
                "products": [
                    {"name": "Dune", "author": "Herbert"},
                    {"name": "Alien", "director": "Scott"},
                    {"name": "Emma", "author": "Austen"},
                ]
            }
        },
        expected_fetches={"catalog": 1},
    ),
    RouterCase(
        id="interface-jump-for-one-implementation-only",
        subgraphs=ALL,
        query="{ products { name ... on Book { inStock } } }",
        expected_response={
            "data": {
                "products": [
                    {"name": "Dune", "inStock": True},
                    {"name": "Alien"},
                    {"name": "Emma", "inStock": False},
                ]
            }
        },
        expected_fetches={"catalog": 1, "stock": 1},
        expected_representations={"stock": 2},
    ),
    RouterCase(
        id="interface-jump-for-every-implementation-in-one-fetch",
        subgraphs=ALL,
        query="{ products { id ... on Book { inStock } ... on Movie { inStock } } }",
        expected_response={
            "data": {
                "products": [
                    {"id": "b1", "inStock": True},
                    {"id": "m1", "inStock": True},
                    {"id": "b2", "inStock": False},
                ]
            }
        },
        expected_fetches={"catalog": 1, "stock": 1},
        expected_representations={"stock": 3},
    ),
    RouterCase(
        id="interface-single-object-with-type-conditions",
        subgraphs=ALL,
        query="{ featured { __typename name ... on Book { author } ... on Movie { director } } }",
        expected_response={
            "data": {"featured": {"__typename": "Movie", "name": "Alien", "director": "Scott"}}
        },
        expected_fetches={"catalog": 1},
    ),
    RouterCase(
        id="interface-fragment-on-the-interface-itself",
        subgraphs=ALL,
        query="{ featured { ... on Product { id name } } }",
        expected_response={"data": {"featured": {"id": "m1", "name": "Alien"}}},
        expected_fetches={"catalog": 1},
    ),
    RouterCase(
        id="interface-named-fragment-on-an-implementation",
        subgraphs=ALL,
        query="query { featured { id ...Film } } fragment Film on Movie { director inStock }",
        expected_response={
            "data": {"featured": {"id": "m1", "director": "Scott", "inStock": True}}
        },
        expected_fetches={"catalog": 1, "stock": 1},
    ),
    RouterCase(
        id="interface-known-in-part-jumps-for-a-field-it-lacks",
        subgraphs=ALL,
        query="{ staffPicks { id name } }",
        expected_response={"data": {"staffPicks": [{"id": "b2", "name": "Emma"}]}},
        expected_fetches={"picks": 1, "catalog": 1},
    ),
    RouterCase(
        id="interface-known-in-part-type-it-never-returns",
        subgraphs=ALL,
        query="{ staffPicks { id ... on Movie { director } } }",
        expected_response={"data": {"staffPicks": [{"id": "b2"}]}},
        expected_fetches={"picks": 1},
    ),
    RouterCase(
        id="interface-known-in-part-typename",
        subgraphs=ALL,
        query="{ staffPicks { __typename } }",
        expected_response={"data": {"staffPicks": [{"__typename": "Book"}]}},
        expected_fetches={"picks": 1},
    ),
    RouterCase(
        id="interface-inside-an-entity-of-another-subgraph",
        subgraphs=ALL,
        query="{ me { name favorite { name ... on Movie { director inStock } } } }",
        expected_response={
            "data": {
                "me": {
                    "name": "Ann",
                    "favorite": {"name": "Alien", "director": "Scott", "inStock": True},
                }
            }
        },
        expected_fetches={"users": 1, "catalog": 1, "stock": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_interfaces(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
