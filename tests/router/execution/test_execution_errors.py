"""Subgraph errors and failures: re-pathed errors, partial data, null propagation."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from router.operation import GraphQLRequest
from router.planning.plan import Parallel, QueryPlan, Sequence
from tests.router.execution.fakes import (
    Handler,
    answer,
    entities,
    fixed_plan,
    gateway,
    slow,
    subgraphs,
)
from tests.router.execution.shop import SDL, entity_fetch, fetch, flatten

QUERY = "{ topProducts { name reviews { body author { name } } } }"
PLAN = QueryPlan(
    Sequence(
        (
            fetch("products", "{ topProducts { name __typename upc } }"),
            flatten(
                "topProducts.@",
                entity_fetch(
                    "reviews", "Product", "reviews { body author { __typename id } }", "upc"
                ),
            ),
            flatten("topProducts.@.reviews.@.author", entity_fetch("users", "User", "name", "id")),
        )
    )
)
PRODUCTS = answer(
    {
        "topProducts": [
            {"name": "Table", "__typename": "Product", "upc": "1"},
            {"name": "Couch", "__typename": "Product", "upc": "2"},
        ]
    }
)


def reviews_by(author: dict[str, str]) -> Handler:
    return entities(
        lambda r: {
            "reviews": [{"body": f"on {r['upc']}", "author": {"__typename": "User", **author}}]
        }
    )


def reviews_by_product(representation: dict[str, Any]) -> dict[str, Any]:
    author = {"1": "u1", "2": "u2"}[representation["upc"]]
    return {"reviews": [{"body": "ok", "author": {"__typename": "User", "id": author}}]}


async def run(plan: QueryPlan, query: str, wait: float = 5.0, **handlers: Handler) -> Any:
    async with (
        subgraphs(**handlers) as fakes,
        gateway(SDL, fakes, fixed_plan(plan), default_timeout=wait) as router,
    ):
        return await router.execute(GraphQLRequest(query), {})


async def test_entity_errors_move_to_the_path_of_the_object_with_the_service_name() -> None:
    users = entities(
        lambda r: {"name": "Ada"} if r["id"] == "u1" else None,
        errors=[
            {
                "message": "user u2 is hidden",
                "path": ["_entities", 1, "name"],
                "locations": [{"line": 1, "column": 80}],
                "extensions": {"code": "FORBIDDEN"},
            }
        ],
    )
    response = await run(
        PLAN, QUERY, products=PRODUCTS, reviews=entities(reviews_by_product), users=users
    )

    # Couch's review author has no name (String!): the null climbs through
    # author (User!) and the review (Review!) to the nullable reviews list. The
    # subgraph's error explains it, so the router adds no error of its own.
    assert response.status_code == 200
    assert response.body == {
        "errors": [
            {
                "message": "user u2 is hidden",
                "path": ["topProducts", 1, "reviews", 0, "author", "name"],
                "extensions": {"code": "FORBIDDEN", "serviceName": "users"},
            }
        ],
        "data": {
            "topProducts": [
                {"name": "Table", "reviews": [{"body": "ok", "author": {"name": "Ada"}}]},
                {"name": "Couch", "reviews": None},
            ]
        },
    }


async def test_root_errors_keep_their_path_and_gain_the_service_name() -> None:
    plan = QueryPlan(fetch("users", "{ me { name nickname } }"))
    users = answer(
        {"me": {"name": "Ada", "nickname": None}},
        errors=[{"message": "nickname unavailable", "path": ["me", "nickname"]}],
    )
    response = await run(plan, "{ me { name nickname } }", users=users)

    assert response.body == {
        "errors": [
            {
                "message": "nickname unavailable",
                "path": ["me", "nickname"],
                "extensions": {"serviceName": "users"},
            }
        ],
        "data": {"me": {"name": "Ada", "nickname": None}},
    }


async def test_a_failing_subgraph_gives_partial_data_and_an_error_naming_it() -> None:
    failing = answer_status(500, b"upstream exploded")
    response = await run(PLAN, QUERY, products=PRODUCTS, reviews=failing, users=answer({}))

    assert response.status_code == 200
    assert response.body == {
        "errors": [
            {
                "message": "Fetch from subgraph 'reviews' failed: it answered HTTP 500.",
                "path": ["topProducts"],
                "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": "reviews"},
            }
        ],
        "data": {
            "topProducts": [{"name": "Table", "reviews": None}, {"name": "Couch", "reviews": None}]
        },
    }


async def test_a_timed_out_subgraph_nulls_up_to_the_nearest_nullable_field() -> None:
    users = slow(2.0, entities(lambda _: {"name": "late"}))
    response = await run(
        PLAN,
        QUERY,
        wait=0.3,
        products=PRODUCTS,
        reviews=entities(reviews_by_product),
        users=users,
    )

    # name is String!, author User!, Review! in a nullable list: each product's
    # reviews become null; one error names the service; no "Cannot return null".
    assert response.body == {
        "errors": [
            {
                "message": "Fetch from subgraph 'users' failed: no answer within 0.3 s.",
                "path": ["topProducts"],
                "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": "users"},
            }
        ],
        "data": {
            "topProducts": [{"name": "Table", "reviews": None}, {"name": "Couch", "reviews": None}]
        },
    }


async def test_a_failed_non_null_root_field_nulls_the_whole_data() -> None:
    async def refuse(_: dict[str, Any]) -> web.StreamResponse:
        return web.Response(text="<html>bad gateway</html>", content_type="text/html")

    plan = QueryPlan(
        Parallel((fetch("products", "{ topProducts { name } }"), fetch("users", "{ me { name } }")))
    )
    response = await run(
        plan,
        "{ me { name } topProducts { name } }",
        products=refuse,
        users=answer({"me": {"name": "Ada"}}),
    )

    assert response.body == {
        "errors": [
            {
                "message": "Fetch from subgraph 'products' failed: "
                "it answered with a body that is not JSON.",
                "path": ["topProducts"],
                "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": "products"},
            }
        ],
        "data": None,
    }


async def test_an_unreachable_subgraph_fails_only_its_own_fields() -> None:
    plan = QueryPlan(
        Parallel(
            (fetch("users", "{ me { name } }"), fetch("products", '{ product(upc: "1") { name } }'))
        )
    )
    async with (
        subgraphs(products=answer({"product": {"name": "Table"}}), users=answer({})) as fakes,
    ):
        await fakes["users"].close()  # nothing listens there any more
        async with gateway(SDL, fakes, fixed_plan(plan)) as router:
            response = await router.execute(
                GraphQLRequest('{ me { name } product(upc: "1") { name } }'), {}
            )

    assert response.body == {
        "errors": [
            {
                "message": "Fetch from subgraph 'users' failed: the connection failed.",
                "path": ["me"],
                "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": "users"},
            }
        ],
        "data": {"me": None, "product": {"name": "Table"}},
    }


async def test_a_missing_non_null_value_without_an_error_gets_the_spec_error() -> None:
    plan = QueryPlan(fetch("users", "{ me { name nickname } }"))
    response = await run(plan, "{ me { nickname name } }", users=answer({"me": {"nickname": "A"}}))

    assert response.body == {
        "errors": [
            {
                "message": "Cannot return null for non-nullable field User.name.",
                "path": ["me", "name"],
            }
        ],
        "data": {"me": None},
    }


async def test_errors_without_a_path_explain_every_field_of_their_fetch() -> None:
    plan = QueryPlan(fetch("products", "{ topProducts { name } }"))
    products = answer(None, errors=[{"message": "Syntax Error in the subgraph"}])
    response = await run(plan, "{ topProducts { name } }", products=products)

    assert response.body == {
        "errors": [
            {"message": "Syntax Error in the subgraph", "extensions": {"serviceName": "products"}}
        ],
        "data": None,
    }


async def test_graphql_response_bodies_count_whatever_the_http_status() -> None:
    async def rejected(_: dict[str, Any]) -> web.StreamResponse:
        body = b'{"errors":[{"message":"Variable $upc is required"}]}'
        return web.Response(body=body, status=400, content_type="application/graphql-response+json")

    plan = QueryPlan(fetch("products", '{ product(upc: "1") { name } }'))
    response = await run(plan, '{ product(upc: "1") { name } }', products=rejected)

    assert response.body == {
        "errors": [
            {
                "message": "Variable $upc is required",
                "path": ["product"],
                "extensions": {"serviceName": "products"},
            }
        ],
        "data": {"product": None},
    }


async def test_a_4xx_with_graphql_errors_is_relayed_at_the_clients_path() -> None:
    # Strawberry answers a variable it cannot coerce with 400 and application/json.
    refusal = b'{"data":null,"errors":[{"message":"Value cannot represent a Decimal: \\"abc\\"."}]}'
    response = await run(PLAN, QUERY, products=answer_status(400, refusal))

    assert response.status_code == 200
    assert response.body == {
        "errors": [
            {
                "message": 'Value cannot represent a Decimal: "abc".',
                "path": ["topProducts"],
                "extensions": {"serviceName": "products"},
            }
        ],
        "data": None,  # topProducts is non-null
    }


async def test_an_entity_fetch_refused_with_4xx_relays_its_errors_where_the_entities_go() -> None:
    refusal = b'{"errors":[{"message":"Unknown type \\"Product\\".","extensions":{"code":"X"}}]}'
    response = await run(
        PLAN, QUERY, products=PRODUCTS, reviews=answer_status(400, refusal), users=answer({})
    )

    assert response.body == {
        "errors": [
            {
                "message": 'Unknown type "Product".',
                "path": ["topProducts"],
                "extensions": {"code": "X", "serviceName": "reviews"},
            }
        ],
        "data": {
            "topProducts": [{"name": "Table", "reviews": None}, {"name": "Couch", "reviews": None}]
        },
    }


async def test_a_4xx_without_graphql_errors_is_still_a_failure_naming_the_status() -> None:
    response = await run(
        PLAN,
        QUERY,
        products=PRODUCTS,
        reviews=answer_status(404, b"no such path"),
        users=answer({}),
    )

    assert response.body["errors"] == [
        {
            "message": "Fetch from subgraph 'reviews' failed: it answered HTTP 404.",
            "path": ["topProducts"],
            "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": "reviews"},
        }
    ]


def answer_status(status: int, body: bytes) -> Handler:
    async def handle(_: dict[str, Any]) -> web.StreamResponse:
        return web.Response(body=body, status=status)

    return handle
