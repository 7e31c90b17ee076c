"""@shareable: a field several subgraphs resolve is read where the plan already is."""

from __future__ import annotations

import pytest

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

PRODUCT_NAMES = [{"upc": "p1", "name": "Table"}, {"upc": "p2", "name": "Chair"}]

PRODUCTS = SubgraphSpec(
    name="products",
    sdl=federation_sdl(
        """
        type Query { topProducts: [Product!]! featured: Product @shareable }
        type Product @key(fields: "upc") { upc: String! name: String! @shareable price: Money! }
        type Money @shareable { amount: Int! currency: String! }
        """
    ),
    data={
        "Query": {"topProducts": [{"upc": "p1"}, {"upc": "p2"}], "featured": {"upc": "p2"}},
        "Product": [
            {**PRODUCT_NAMES[0], "price": {"amount": 40, "currency": "EUR"}},
            {**PRODUCT_NAMES[1], "price": {"amount": 15, "currency": "EUR"}},
        ],
    },
)
REVIEWS = SubgraphSpec(
    name="reviews",
    sdl=federation_sdl(
        """
        type Query { topReviews: [Review!]! featured: Product @shareable }
        type Review { body: String! product: Product! }
        type Product @key(fields: "upc") {
          upc: String! name: String! @shareable reviewCount: Int!
        }
        """
    ),
    data={
        "Query": {
            "topReviews": [
                {"body": "Solid", "product": {"upc": "p1"}},
                {"body": "Comfy", "product": {"upc": "p2"}},
            ],
            "featured": {"upc": "p2"},
        },
        "Product": [{**PRODUCT_NAMES[0], "reviewCount": 2}, {**PRODUCT_NAMES[1], "reviewCount": 1}],
    },
)
ORDERS = SubgraphSpec(
    name="orders",
    sdl=federation_sdl(
        """
        type Query { lastOrder: Order }
        type Order @key(fields: "id") { id: ID! total: Money! }
        type Money @shareable { amount: Int! currency: String! }
        """
    ),
    data={"Query": {"lastOrder": {"id": "o1", "total": {"amount": 55, "currency": "EUR"}}}},
)
USERS = SubgraphSpec(
    name="users",
    sdl=federation_sdl(
        """
        type Query { me: User }
        type User @key(fields: "id") { id: ID! name: String! @shareable email: String! }
        """
    ),
    data={
        "Query": {"me": {"id": "1"}},
        "User": [{"id": "1", "name": "Ann", "email": "ann@example.com"}],
    },
)
PROFILES = SubgraphSpec(
    name="profiles",
    sdl=federation_sdl(
        """
        type Query { profileOfTheDay: User }
        type User @key(fields: "id") { id: ID! name: String! @shareable bio: String! }
        """
    ),
    data={
        "Query": {"profileOfTheDay": {"id": "1"}},
        "User": [{"id": "1", "name": "Ann", "bio": "Makes tables"}],
    },
)
ALL = [PRODUCTS, REVIEWS, ORDERS, USERS, PROFILES]

CASES = [
    RouterCase(
        id="shareable-field-read-in-the-current-subgraph",
        subgraphs=ALL,
        query="{ topReviews { body product { name } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"body": "Solid", "product": {"name": "Table"}},
                    {"body": "Comfy", "product": {"name": "Chair"}},
                ]
            }
        },
        expected_fetches={"reviews": 1},
    ),
    RouterCase(
        id="shareable-field-read-in-the-root-subgraph",
        subgraphs=ALL,
        query="{ topProducts { name } }",
        expected_response={"data": {"topProducts": [{"name": "Table"}, {"name": "Chair"}]}},
        expected_fetches={"products": 1},
    ),
    RouterCase(
        id="shareable-beside-a-field-only-another-subgraph-has",
        subgraphs=ALL,
        query="{ topReviews { product { name price { amount } } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"product": {"name": "Table", "price": {"amount": 40}}},
                    {"product": {"name": "Chair", "price": {"amount": 15}}},
                ]
            }
        },
        expected_fetches={"reviews": 1, "products": 1},
    ),
    RouterCase(
        id="shareable-root-field-from-the-subgraph-with-every-field",
        subgraphs=ALL,
        query="{ featured { name reviewCount } }",
        expected_response={"data": {"featured": {"name": "Chair", "reviewCount": 1}}},
        expected_fetches={"reviews": 1},
    ),
    RouterCase(
        id="shareable-root-field-from-the-other-subgraph-with-every-field",
        subgraphs=ALL,
        query="{ featured { name price { currency } } }",
        expected_response={"data": {"featured": {"name": "Chair", "price": {"currency": "EUR"}}}},
        expected_fetches={"products": 1},
    ),
    RouterCase(
        id="shareable-value-type-from-each-subgraph",
        subgraphs=ALL,
        query="""
        { topProducts { price { amount currency } } lastOrder { total { amount currency } } }
        """,
        expected_response={
            "data": {
                "topProducts": [
                    {"price": {"amount": 40, "currency": "EUR"}},
                    {"price": {"amount": 15, "currency": "EUR"}},
                ],
                "lastOrder": {"total": {"amount": 55, "currency": "EUR"}},
            }
        },
        expected_fetches={"products": 1, "orders": 1},
    ),
    RouterCase(
        id="shareable-entity-field-not-fetched-twice",
        subgraphs=ALL,
        query="{ me { name email } profileOfTheDay { name bio } }",
        expected_response={
            "data": {
                "me": {"name": "Ann", "email": "ann@example.com"},
                "profileOfTheDay": {"name": "Ann", "bio": "Makes tables"},
            }
        },
        expected_fetches={"users": 1, "profiles": 1},
    ),
    RouterCase(
        id="shareable-field-with-a-jump-for-the-rest",
        subgraphs=ALL,
        query="{ profileOfTheDay { name email bio } }",
        expected_response={
            "data": {
                "profileOfTheDay": {
                    "name": "Ann",
                    "email": "ann@example.com",
                    "bio": "Makes tables",
                }
            }
        },
        expected_fetches={"profiles": 1, "users": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_shareable(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
