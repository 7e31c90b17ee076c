"""The benchmark's four federation subgraphs (accounts, inventory, products, reviews).

Each is a graphql-core schema over the `guild_data` tables, answering real GraphQL:
`_service { sdl }`, `_entities` and its own root fields, validated and
executed. They are served by one raw ASGI app at /accounts, /inventory,
/products and /reviews (POST), with GET /health for readiness.

A gateway sends the same few subgraph requests for every client request, so
the app keeps each distinct request body's answer (bounded LRU): the first
one is executed, the repeats cost an HTTP exchange and a lookup. That keeps
the subgraphs far below the gateways' cost, so the gateways are what is
measured; `run.py` prints the subgraphs' CPU to show it.

    python bench/gateways/guild_subgraphs.py --port 23001
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from inspect import isawaitable
from typing import Any

import guild_data as data
import orjson
import uvicorn
from graphql import (
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    ObjectTypeDefinitionNode,
    build_ast_schema,
    concat_ast,
    execute,
    parse,
    validate,
)
from starlette.types import ASGIApp, Receive, Scope, Send

NAMES = ("accounts", "inventory", "products", "reviews")

_LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
    'import: ["@key", "@external", "@requires", "@provides"])\n'
)

SDL = {
    "accounts": _LINK
    + """
type Query {
  me: User
  user(id: ID!): User
  users: [User]
}

type User @key(fields: "id") {
  id: ID!
  name: String
  username: String
  birthday: Int
}
""",
    "inventory": _LINK
    + """
type Product @key(fields: "upc") {
  upc: String!
  weight: Int @external
  price: Int @external
  inStock: Boolean
  shippingEstimate: Int @requires(fields: "price weight")
}
""",
    "products": _LINK
    + """
type Query {
  topProducts(first: Int = 5): [Product]
}

type Product @key(fields: "upc") {
  upc: String!
  name: String
  price: Int
  weight: Int
}
""",
    "reviews": _LINK
    + """
type Review @key(fields: "id") {
  id: ID!
  body: String
  product: Product
  author: User @provides(fields: "username")
}

type User @key(fields: "id") {
  id: ID!
  username: String @external
  reviews: [Review]
}

type Product @key(fields: "upc") {
  upc: String!
  reviews: [Review]
}
""",
}

# What graphql-core needs to build the SDLs above into executable schemas.
_DEFINITIONS = """
scalar link__Import
scalar federation__FieldSet
scalar _Any
type _Service { sdl: String }
directive @link(url: String!, import: [link__Import]) repeatable on SCHEMA
directive @key(fields: federation__FieldSet!, resolvable: Boolean = true)
  repeatable on OBJECT | INTERFACE
directive @external on FIELD_DEFINITION | OBJECT
directive @requires(fields: federation__FieldSet!) on FIELD_DEFINITION
directive @provides(fields: federation__FieldSet!) on FIELD_DEFINITION
"""

Json = dict[str, Any]
Representation = Mapping[str, Any]


@dataclass(frozen=True)
class Subgraph:
    name: str
    schema: GraphQLSchema
    # __typename -> the entity a representation stands for (None: there is none).
    entities: Mapping[str, Callable[[Representation], Json | None]]
    root_fields: Json

    def execute(self, body: Json) -> Json:
        """A GraphQL-over-HTTP request body in, the response body out."""
        query = body.get("query")
        if not isinstance(query, str):
            return {"errors": [{"message": "the request has no query string"}]}
        try:
            document = parse(query)
        except GraphQLError as error:
            return {"errors": [error.formatted]}
        errors = validate(self.schema, document)
        if errors:
            return {"errors": [error.formatted for error in errors]}
        result = execute(
            self.schema,
            document,
            root_value=self.root_fields
            | {"_entities": self._entities, "_service": {"sdl": SDL[self.name]}},
            variable_values=body.get("variables"),
            operation_name=body.get("operationName"),
        )
        if isawaitable(result):
            raise TypeError("the bench subgraphs resolve synchronously")
        return dict(result.formatted)

    def _entities(self, _info: GraphQLResolveInfo[Any], representations: list[Any]) -> list[Any]:
        found: list[Any] = []
        for representation in representations:
            typename = (
                representation.get("__typename") if isinstance(representation, dict) else None
            )
            resolve = self.entities.get(typename) if isinstance(typename, str) else None
            entity = resolve(representation) if resolve is not None else None
            # An exception in a list is that item's error: null there, the rest answered.
            found.append(
                entity
                if entity is not None
                else GraphQLError(f"{self.name} has no entity for {representation!r}")
            )
        return found


def executable_schema(sdl: str) -> GraphQLSchema:
    """The subgraph's schema with `_entities` and `_service` added, as federation asks."""
    document = parse(_DEFINITIONS + sdl)
    objects = [d for d in document.definitions if isinstance(d, ObjectTypeDefinitionNode)]
    entities = [
        o.name.value for o in objects if any(d.name.value == "key" for d in o.directives or ())
    ]
    query = "extend type Query" if any(o.name.value == "Query" for o in objects) else "type Query"
    machinery = parse(
        f"union _Entity = {' | '.join(sorted(entities))}\n"
        f"{query} {{ _entities(representations: [_Any!]!): [_Entity]! _service: _Service! }}"
    )
    return build_ast_schema(concat_ast([document, machinery]))


def _user(user: data.User) -> Json:
    return {
        "__typename": "User",
        "id": user.id,
        "name": user.name,
        "username": user.username,
        "birthday": user.birthday,
    }


def accounts() -> Subgraph:
    users = {user.id: _user(user) for user in data.USERS}
    return Subgraph(
        name="accounts",
        schema=executable_schema(SDL["accounts"]),
        entities={"User": lambda rep: users.get(str(rep.get("id")))},
        root_fields={
            "me": users[data.USERS[0].id],
            "user": lambda _info, id: users.get(id),
            "users": list(users.values()),
        },
    )


def inventory() -> Subgraph:
    def product(rep: Representation) -> Json | None:
        upc = rep.get("upc")
        if upc not in data.IN_STOCK:
            return None
        return {
            "__typename": "Product",
            "upc": upc,
            "inStock": data.IN_STOCK[upc],
            "shippingEstimate": data.shipping_estimate(rep.get("price"), rep.get("weight")),
        }

    return Subgraph(
        name="inventory",
        schema=executable_schema(SDL["inventory"]),
        entities={"Product": product},
        root_fields={},
    )


def products() -> Subgraph:
    by_upc = {
        p.upc: {
            "__typename": "Product",
            "upc": p.upc,
            "name": p.name,
            "price": p.price,
            "weight": p.weight,
        }
        for p in data.PRODUCTS
    }
    listed = list(by_upc.values())
    return Subgraph(
        name="products",
        schema=executable_schema(SDL["products"]),
        entities={"Product": lambda rep: by_upc.get(str(rep.get("upc")))},
        root_fields={
            "topProducts": lambda _info, first=data.TOP_PRODUCTS_DEFAULT: listed[: max(first, 0)]
        },
    )


def reviews() -> Subgraph:
    usernames = {user.id: user.username for user in data.USERS}
    by_id: dict[str, Json] = {
        r.id: {"__typename": "Review", "id": r.id, "body": r.body} for r in data.REVIEWS
    }
    of_user = [by_id[i] for i in data.USER_REVIEW_IDS]

    def product(upc: str) -> Json:
        reviewed = [by_id[r.id] for r in data.REVIEWS if r.product_upc == upc]
        return {"__typename": "Product", "upc": upc, "reviews": reviewed}

    def user(user_id: str) -> Json:
        return {"__typename": "User", "id": user_id, "reviews": of_user}

    for review in data.REVIEWS:
        by_id[review.id]["product"] = product(review.product_upc)
        # What @provides(fields: "username") promises the gateways.
        by_id[review.id]["author"] = user(review.author_id) | {
            "username": usernames[review.author_id]
        }

    # Users and products belong to other subgraphs: reviews answers for any key,
    # as the benchmark's reviews subgraph does.
    return Subgraph(
        name="reviews",
        schema=executable_schema(SDL["reviews"]),
        entities={
            "Review": lambda rep: by_id.get(str(rep.get("id"))),
            "User": lambda rep: user(rep["id"]) if isinstance(rep.get("id"), str) else None,
            "Product": lambda rep: product(rep["upc"]) if isinstance(rep.get("upc"), str) else None,
        },
        root_fields={},
    )


def subgraphs() -> dict[str, Subgraph]:
    return {
        "accounts": accounts(),
        "inventory": inventory(),
        "products": products(),
        "reviews": reviews(),
    }


def create_app(cache_size: int = 256) -> ASGIApp:
    """One ASGI app serving the four subgraphs at /NAME, answers of repeated bodies kept."""
    served = subgraphs()

    @lru_cache(maxsize=cache_size)
    def answer(name: str, body: bytes) -> tuple[int, bytes]:
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return 400, orjson.dumps({"errors": [{"message": "the body is not JSON"}]})
        if not isinstance(payload, dict):
            return 400, orjson.dumps({"errors": [{"message": "the body is not a JSON object"}]})
        return 200, orjson.dumps(served[name].execute(payload))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        path = scope["path"].strip("/")
        if scope["method"] == "GET" and path == "health":
            await _respond(send, 200, b"ok", b"text/plain")
        elif scope["method"] == "POST" and path in served:
            chunks = []
            more = True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            status, body = answer(path, b"".join(chunks))
            await _respond(send, status, body, b"application/json")
        else:
            await _respond(send, 404, b"not found", b"text/plain")

    return app


async def _respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


if __name__ == "__main__":
    main()
