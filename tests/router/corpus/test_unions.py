"""Unions: __typename, type conditions per member, jumps only for the members present."""

from __future__ import annotations

import pytest

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

ANN = {"__typename": "User", "id": "1"}
BOB = {"__typename": "User", "id": "2"}
TABLE = {"__typename": "Product", "upc": "p1"}
RESULTS = {"all": [ANN, TABLE, BOB], "users": [ANN, BOB]}

SEARCH = SubgraphSpec(
    name="search",
    sdl=federation_sdl(
        """
        type Query { search(term: String!): [SearchResult!]! }
        union SearchResult = User | Product
        type User @key(fields: "id") { id: ID! }
        type Product @key(fields: "upc") { upc: String! }
        """
    ),
    resolvers={"Query.search": lambda _root, args: RESULTS[args["term"]]},
)
USERS = SubgraphSpec(
    name="users",
    sdl=federation_sdl(
        """
        type Query { me: User }
        type User @key(fields: "id") { id: ID! name: String! }
        """
    ),
    data={
        "Query": {"me": {"id": "1"}},
        "User": [{"id": "1", "name": "Ann"}, {"id": "2", "name": "Bob"}],
    },
)
PRODUCTS = SubgraphSpec(
    name="products",
    sdl=federation_sdl(
        """
        type Product @key(fields: "upc") { upc: String! name: String! price: Int! }
        """
    ),
    data={"Product": [{"upc": "p1", "name": "Table", "price": 40}]},
)
ACTIVITY = SubgraphSpec(
    name="activity",
    sdl=federation_sdl(
        """
        type User @key(fields: "id") { id: ID! activity: [Activity!]! }
        union Activity = Note | Order
        type Note { text: String! }
        type Order @key(fields: "id") { id: ID! }
        """
    ),
    data={
        "User": [
            {
                "id": "1",
                "activity": [
                    {"__typename": "Order", "id": "o1"},
                    {"__typename": "Note", "text": "Loved the table"},
                    {"__typename": "Order", "id": "o2"},
                ],
            }
        ]
    },
)
ORDERS = SubgraphSpec(
    name="orders",
    sdl=federation_sdl(
        """
        type Order @key(fields: "id") { id: ID! total: Int! }
        """
    ),
    data={"Order": [{"id": "o1", "total": 40}, {"id": "o2", "total": 15}]},
)
# Knows SearchResult with other members: the supergraph's union has them all.
FEED = SubgraphSpec(
    name="feed",
    sdl=federation_sdl(
        """
        type Query { feed: [SearchResult!]! }
        union SearchResult = User | Article
        type User @key(fields: "id") { id: ID! }
        type Article { headline: String! }
        """
    ),
    data={"Query": {"feed": [{"__typename": "Article", "headline": "Tables are back"}, BOB]}},
)
ALL = [SEARCH, USERS, PRODUCTS, ACTIVITY, ORDERS, FEED]

CASES = [
    RouterCase(
        id="union-typename",
        subgraphs=ALL,
        query='{ search(term: "all") { __typename } }',
        expected_response={
            "data": {
                "search": [
                    {"__typename": "User"},
                    {"__typename": "Product"},
                    {"__typename": "User"},
                ]
            }
        },
        expected_fetches={"search": 1},
    ),
    RouterCase(
        id="union-member-key-fields-need-no-jump",
        subgraphs=ALL,
        query='{ search(term: "all") { ... on User { id } ... on Product { upc } } }',
        expected_response={"data": {"search": [{"id": "1"}, {"upc": "p1"}, {"id": "2"}]}},
        expected_fetches={"search": 1},
    ),
    RouterCase(
        id="union-members-jump-to-their-subgraphs",
        subgraphs=ALL,
        query="""
        { search(term: "all") {
            __typename ... on User { name } ... on Product { name price }
        } }
        """,
        expected_response={
            "data": {
                "search": [
                    {"__typename": "User", "name": "Ann"},
                    {"__typename": "Product", "name": "Table", "price": 40},
                    {"__typename": "User", "name": "Bob"},
                ]
            }
        },
        expected_fetches={"search": 1, "users": 1, "products": 1},
        expected_representations={"users": 2, "products": 1},
    ),
    RouterCase(
        id="union-jump-for-one-member-only",
        subgraphs=ALL,
        query='{ search(term: "all") { ... on User { name } } }',
        expected_response={"data": {"search": [{"name": "Ann"}, {}, {"name": "Bob"}]}},
        expected_fetches={"search": 1, "users": 1},
    ),
    RouterCase(
        id="union-type-condition-matching-nothing-fetches-nothing",
        subgraphs=ALL,
        query='{ search(term: "users") { ... on Product { name } } }',
        expected_response={"data": {"search": [{}, {}]}},
        expected_fetches={"search": 1},
    ),
    RouterCase(
        id="union-named-fragments-per-member",
        subgraphs=ALL,
        query="""
        query Find { search(term: "all") { ...Person ...Item } }
        fragment Person on User { name }
        fragment Item on Product { price }
        """,
        expected_response={"data": {"search": [{"name": "Ann"}, {"price": 40}, {"name": "Bob"}]}},
        expected_fetches={"search": 1, "users": 1, "products": 1},
    ),
    RouterCase(
        id="union-fragment-on-the-union-itself",
        subgraphs=ALL,
        query='{ search(term: "users") { ... on SearchResult { __typename } } }',
        expected_response={"data": {"search": [{"__typename": "User"}, {"__typename": "User"}]}},
        expected_fetches={"search": 1},
    ),
    RouterCase(
        id="union-inside-an-entity",
        subgraphs=ALL,
        query="{ me { name activity { __typename ... on Note { text } ... on Order { total } } } }",
        expected_response={
            "data": {
                "me": {
                    "name": "Ann",
                    "activity": [
                        {"__typename": "Order", "total": 40},
                        {"__typename": "Note", "text": "Loved the table"},
                        {"__typename": "Order", "total": 15},
                    ],
                }
            }
        },
        expected_fetches={"users": 1, "activity": 1, "orders": 1},
        expected_sequence=["users", "activity", "orders"],
    ),
    RouterCase(
        id="union-members-known-by-different-subgraphs",
        subgraphs=ALL,
        query="{ feed { __typename ... on Article { headline } ... on User { name } } }",
        expected_response={
            "data": {
                "feed": [
                    {"__typename": "Article", "headline": "Tables are back"},
                    {"__typename": "User", "name": "Bob"},
                ]
            }
        },
        expected_fetches={"feed": 1, "users": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_unions(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
