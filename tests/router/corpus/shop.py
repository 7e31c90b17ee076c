"""The shop subgraphs many corpus modules run on: users, reviews, products, manufacturers.

    users          Query.me/user/users, User @key(id) { name username }
    reviews        Query.topReviews/review, Review { body stars author product },
                   User.reviews, Product.reviews
    products       Query.topProducts/product, Product @key(upc) { name price manufacturer }
    manufacturers  Manufacturer @key(id) { name country }

Ann (1) wrote r1 on the Table (p1) and r3 on the Lamp (p3); Bob (2) wrote r2
on the Table; Cy (3) wrote nothing. Hewn (m1) makes the Table and the Lamp,
Sitwell (m2) the Chair (p2), which has no reviews.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.router.harness import SubgraphSpec, federation_sdl


def first_of(field: str) -> Any:
    """A resolver for `field(first: Int)`: the field's list, cut to `first` when given."""

    def resolve(obj: Mapping[str, Any], args: Mapping[str, Any]) -> list[Any]:
        items = list(obj.get(field) or [])
        first = args.get("first")
        return items if first is None else items[:first]

    return resolve


USERS = SubgraphSpec(
    name="users",
    sdl=federation_sdl(
        """
        type Query { me: User user(id: ID!): User users: [User!]! }
        type User @key(fields: "id") { id: ID! name: String username: String! }
        """
    ),
    data={
        "Query": {"me": {"id": "1"}, "users": [{"id": "1"}, {"id": "2"}, {"id": "3"}]},
        "User": [
            {"id": "1", "name": "Ann", "username": "ann"},
            {"id": "2", "name": "Bob", "username": "bob"},
            {"id": "3", "name": "Cy", "username": "cy"},
        ],
    },
)

REVIEW_ROWS = [
    {"id": "r1", "body": "Solid", "stars": 5, "author": {"id": "1"}, "product": {"upc": "p1"}},
    {"id": "r2", "body": "Wobbly", "stars": 2, "author": {"id": "2"}, "product": {"upc": "p1"}},
    {"id": "r3", "body": "Bright", "stars": 4, "author": {"id": "1"}, "product": {"upc": "p3"}},
]

REVIEWS = SubgraphSpec(
    name="reviews",
    sdl=federation_sdl(
        """
        type Query { topReviews(first: Int = 10): [Review!]! review(id: ID!): Review }
        type Review @key(fields: "id") {
          id: ID! body: String! stars: Int! author: User! product: Product!
        }
        type User @key(fields: "id") { id: ID! reviews(first: Int): [Review!]! }
        type Product @key(fields: "upc") { upc: String! reviews: [Review!]! }
        """
    ),
    data={
        "Query": {"topReviews": REVIEW_ROWS},
        "Review": REVIEW_ROWS,
        "User": [
            {"id": "1", "reviews": [{"id": "r1"}, {"id": "r3"}]},
            {"id": "2", "reviews": [{"id": "r2"}]},
            {"id": "3", "reviews": []},
        ],
        "Product": [
            {"upc": "p1", "reviews": [{"id": "r1"}, {"id": "r2"}]},
            {"upc": "p2", "reviews": []},
            {"upc": "p3", "reviews": [{"id": "r3"}]},
        ],
    },
    resolvers={"Query.topReviews": first_of("topReviews"), "User.reviews": first_of("reviews")},
)

PRODUCTS = SubgraphSpec(
    name="products",
    sdl=federation_sdl(
        """
        type Query { topProducts(first: Int = 5): [Product!]! product(upc: String!): Product }
        type Product @key(fields: "upc") {
          upc: String! name: String! price: Int! manufacturer: Manufacturer
        }
        type Manufacturer @key(fields: "id", resolvable: false) { id: ID! }
        """
    ),
    data={
        "Query": {"topProducts": [{"upc": "p1"}, {"upc": "p2"}, {"upc": "p3"}]},
        "Product": [
            {"upc": "p1", "name": "Table", "price": 40, "manufacturer": {"id": "m1"}},
            {"upc": "p2", "name": "Chair", "price": 15, "manufacturer": {"id": "m2"}},
            {"upc": "p3", "name": "Lamp", "price": 10, "manufacturer": {"id": "m1"}},
        ],
    },
    resolvers={"Query.topProducts": first_of("topProducts")},
)

MANUFACTURERS = SubgraphSpec(
    name="manufacturers",
    sdl=federation_sdl(
        """
        type Manufacturer @key(fields: "id") { id: ID! name: String! country: String! }
        """
    ),
    data={
        "Manufacturer": [
            {"id": "m1", "name": "Hewn", "country": "NO"},
            {"id": "m2", "name": "Sitwell", "country": "DK"},
        ]
    },
)

SHOP = [USERS, REVIEWS, PRODUCTS, MANUFACTURERS]
