"""Four small subgraphs for the router benchmark, in one ASGI app.

Each runs GraphQL (graphql-core) over fixed tables, so it answers exactly
what it is asked, however deep; answers are memoized by request body, so
after the first request of a kind a subgraph costs a dictionary look-up and
the benchmark measures the router and the HTTP hops.
/products: topProducts and Product entities; /reviews: reviews of products
and users, with their authors and products; /users: users, me and User
entities; /inventory: Product.inStock and Product.shippingEstimate (which
requires price and weight).
`answer()` is the same without HTTP, for in-process drivers.
"""

from __future__ import annotations

from typing import Any

import orjson
from graphql import GraphQLSchema, build_schema, graphql_sync
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

USER_COUNT = 5
REVIEWS_PER_PRODUCT = 4
WORDS = ["solid", "build,", "fair", "price,", "quick", "delivery,", "would", "order", "again"]
# Distinct request bodies kept; the benchmark sends a handful.
MEMO_SIZE = 1024

PRODUCTS: list[dict[str, Any]] = [
    {
        "__typename": "Product",
        "upc": str(i),
        "name": f"Product {i}",
        "price": 99 * i,
        "weight": 7 * i,
    }
    for i in range(1, 6)
]
USERS = {
    f"u{i}": {"__typename": "User", "id": f"u{i}", "name": f"User {i}", "username": f"user{i}"}
    for i in range(USER_COUNT)
}

# The reviews subgraph's objects: its Product and User know their reviews, a
# review knows its product and author (references in both directions).
REVIEWED: dict[str, dict[str, Any]] = {
    p["upc"]: {"__typename": "Product", "upc": p["upc"], "reviews": []} for p in PRODUCTS
}
AUTHORS: dict[str, dict[str, Any]] = {
    i: {"__typename": "User", "id": i, "reviews": []} for i in USERS
}
for _upc, _product in REVIEWED.items():
    for _j in range(REVIEWS_PER_PRODUCT):
        _turn = (int(_upc) + _j) % len(WORDS)
        _review: dict[str, Any] = {
            "__typename": "Review",
            "id": f"r{_upc}-{_j}",
            "body": f"Review {_j} of Product {_upc}: " + " ".join(WORDS[_turn:] + WORDS[:_turn]),
            "author": AUTHORS[f"u{(int(_upc) + _j) % USER_COUNT}"],
            "product": _product,
        }
        _product["reviews"].append(_review)
        _review["author"]["reviews"].append(_review)

ENTITIES = """
scalar _Any
union _Entity = {members}
"""
SDL = {
    "products": """
        type Query { topProducts: [Product!]! _entities(representations: [_Any!]!): [_Entity]! }
        type Product { upc: String! name: String! price: Int! weight: Int! }
    """,
    "reviews": """
        type Query { _entities(representations: [_Any!]!): [_Entity]! }
        type Product { upc: String! reviews: [Review!]! }
        type User { id: ID! reviews: [Review!]! }
        type Review { id: ID! body: String! author: User! product: Product! }
    """,
    "users": """
        type Query { me: User users: [User!]! _entities(representations: [_Any!]!): [_Entity]! }
        type User { id: ID! name: String! username: String! }
    """,
    "inventory": """
        type Query { _entities(representations: [_Any!]!): [_Entity]! }
        type Product { upc: String! inStock: Boolean! shippingEstimate: Int }
    """,
}
MEMBERS = {
    "products": "Product",
    "reviews": "Product | User",
    "users": "User",
    "inventory": "Product",
}


def _inventory(representation: dict[str, Any]) -> dict[str, Any]:
    # @requires(fields: "price weight"): the router must send both.
    price, weight = representation["price"], representation["weight"]
    return {
        "__typename": "Product",
        "upc": representation["upc"],
        "inStock": int(representation["upc"]) % 2 == 1,
        "shippingEstimate": None if price > 1000 else weight // 2,
    }


def _entity(subgraph: str, representation: dict[str, Any]) -> Any:
    typename = representation["__typename"]
    if subgraph == "products":
        return next((p for p in PRODUCTS if p["upc"] == representation["upc"]), None)
    if subgraph == "users":
        return USERS.get(representation["id"])
    if subgraph == "inventory":
        return _inventory(representation)
    if typename == "User":
        return AUTHORS.get(representation["id"])
    return REVIEWED.get(representation["upc"])


def _schema(subgraph: str) -> GraphQLSchema:
    schema = build_schema(SDL[subgraph] + ENTITIES.format(members=MEMBERS[subgraph]))
    query = schema.query_type
    if query is None:
        raise ValueError(f"the SDL of {subgraph} has no Query type")
    query.fields["_entities"].resolve = lambda _, __, representations: [
        _entity(subgraph, r) for r in representations
    ]
    roots: dict[str, Any] = {
        "topProducts": PRODUCTS,
        "me": USERS["u1"],
        "users": list(USERS.values()),
    }
    for name, field in query.fields.items():
        if name in roots:
            field.resolve = lambda *_, value=roots[name]: value
    return schema


SCHEMAS = {name: _schema(name) for name in SDL}
_memo: dict[tuple[str, bytes], bytes] = {}


def answer(subgraph: str, body: bytes) -> bytes:
    """The GraphQL response (JSON) of `subgraph` to a request body (JSON)."""
    key = (subgraph, body)
    found = _memo.get(key)
    if found is None:
        request = orjson.loads(body)
        result = graphql_sync(
            SCHEMAS[subgraph], request["query"], variable_values=request.get("variables")
        )
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [error.formatted for error in result.errors]
        found = orjson.dumps(response)
        if len(_memo) >= MEMO_SIZE:
            _memo.clear()
        _memo[key] = found
    return found


def _route(subgraph: str) -> Route:
    async def endpoint(request: Request) -> Response:
        return Response(answer(subgraph, await request.body()), media_type="application/json")

    return Route(f"/{subgraph}", endpoint, methods=["POST"])


async def ping(_: Request) -> Response:
    return Response(b"ok")


app = Starlette(routes=[*(_route(name) for name in SDL), Route("/ping", ping)])
