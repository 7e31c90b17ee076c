"""Three plain subgraphs for the router benchmark, in one ASGI app.

They answer from fixed tables without running GraphQL: each returns every
field it has (a superset of what is asked), so a benchmark measures the
router and the HTTP hops, not a subgraph's own execution.
/products: topProducts and Product entities; /reviews: Product.reviews;
/users: User entities.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PRODUCTS = [
    {"__typename": "Product", "upc": str(i), "name": f"Product {i}", "price": 100 + i}
    for i in range(1, 6)
]
REVIEWS = {
    p["upc"]: [
        {
            "__typename": "Review",
            "id": f"r{p['upc']}-{j}",
            "body": f"Review {j} of {p['name']}",
            "author": {"__typename": "User", "id": f"u{(int(str(p['upc'])) + j) % 4}"},
        }
        for j in range(2)
    ]
    for p in PRODUCTS
}
USERS = {f"u{i}": {"__typename": "User", "id": f"u{i}", "name": f"User {i}"} for i in range(4)}


def _json(payload: dict[str, Any]) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json")


async def _body(request: Request) -> tuple[str, dict[str, Any]]:
    body = orjson.loads(await request.body())
    return body["query"], body.get("variables") or {}


async def products(request: Request) -> Response:
    query, variables = await _body(request)
    if "_entities" in query:
        by_upc = {p["upc"]: p for p in PRODUCTS}
        return _json(
            {"data": {"_entities": [by_upc.get(r["upc"]) for r in variables["representations"]]}}
        )
    return _json({"data": {"topProducts": PRODUCTS}})


async def reviews(request: Request) -> Response:
    _, variables = await _body(request)
    found = [
        {"__typename": "Product", "upc": r["upc"], "reviews": REVIEWS.get(r["upc"], [])}
        for r in variables["representations"]
    ]
    return _json({"data": {"_entities": found}})


async def users(request: Request) -> Response:
    query, variables = await _body(request)
    if "_entities" in query:
        return _json(
            {"data": {"_entities": [USERS.get(r["id"]) for r in variables["representations"]]}}
        )
    return _json({"data": {"me": USERS["u1"]}})


async def ping(_: Request) -> Response:
    return Response(b"ok")


app = Starlette(
    routes=[
        Route("/products", products, methods=["POST"]),
        Route("/reviews", reviews, methods=["POST"]),
        Route("/users", users, methods=["POST"]),
        Route("/ping", ping),
    ]
)
