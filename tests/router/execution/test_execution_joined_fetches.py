"""Sibling entity fetches asking one subgraph the same thing go as one request."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from router.operation import GraphQLRequest
from router.planning.plan import Parallel, QueryPlan, Sequence
from tests.router.execution.fakes import answer, entities, fixed_plan, gateway, subgraphs
from tests.router.execution.shop import SDL, entity_fetch, fetch, flatten

QUERY = """{
  topProducts { name reviews { body } }
  product(upc: "2") { name reviews { body } }
}"""
PRODUCTS = {
    "topProducts": [
        {"name": "Table", "__typename": "Product", "upc": "1"},
        {"name": "Couch", "__typename": "Product", "upc": "2"},
    ],
    "product": {"name": "Couch", "__typename": "Product", "upc": "2"},
}
REVIEWS = {"1": [{"body": "Love it"}], "2": [{"body": "Too soft"}]}


def reviews_of(representation: dict[str, Any]) -> dict[str, Any]:
    return {"reviews": REVIEWS[representation["upc"]]}


async def test_two_paths_of_one_entity_fetch_make_one_request_with_shared_representations() -> None:
    async with (
        subgraphs(products=answer(PRODUCTS), reviews=entities(reviews_of)) as fakes,
        gateway(SDL, fakes) as router,
    ):
        response = await router.execute(GraphQLRequest(QUERY), {})

    assert response.body == {
        "data": {
            "topProducts": [
                {"name": "Table", "reviews": [{"body": "Love it"}]},
                {"name": "Couch", "reviews": [{"body": "Too soft"}]},
            ],
            "product": {"name": "Couch", "reviews": [{"body": "Too soft"}]},
        }
    }
    assert [len(fake.received) for fake in fakes.values()] == [1, 1]
    # Product 2 is at both paths and is sent once.
    assert fakes["reviews"].received[0].representations == [
        {"__typename": "Product", "upc": "1"},
        {"__typename": "Product", "upc": "2"},
    ]


async def test_entity_fetches_selecting_different_fields_stay_apart() -> None:
    plan = QueryPlan(
        Sequence(
            (
                fetch(
                    "products",
                    '{ topProducts { name __typename upc } product(upc: "2") '
                    "{ name __typename upc } }",
                ),
                Parallel(
                    (
                        flatten(
                            "topProducts.@",
                            entity_fetch("reviews", "Product", "reviews { body }", "upc"),
                        ),
                        flatten(
                            "product",
                            entity_fetch("reviews", "Product", "reviews { body } upc", "upc"),
                        ),
                    )
                ),
            )
        )
    )
    async with (
        subgraphs(products=answer(PRODUCTS), reviews=entities(reviews_of)) as fakes,
        gateway(SDL, fakes, fixed_plan(plan)) as router,
    ):
        response = await router.execute(GraphQLRequest(QUERY), {})

    assert response.body["data"]["product"] == {"name": "Couch", "reviews": [{"body": "Too soft"}]}
    assert sorted(len(r.representations) for r in fakes["reviews"].received) == [1, 2]


async def test_a_joined_fetch_that_fails_reports_an_error_at_each_path() -> None:
    async with (
        subgraphs(
            products=answer(PRODUCTS),
            reviews=lambda _: web.Response(status=502, text="bad gateway"),
        ) as fakes,
        gateway(SDL, fakes) as router,
    ):
        response = await router.execute(GraphQLRequest(QUERY), {})

    failure = "Fetch from subgraph 'reviews' failed: it answered HTTP 502."
    extensions = {"code": "SUBGRAPH_ERROR", "serviceName": "reviews"}
    assert response.body == {
        "errors": [
            {"message": failure, "path": ["topProducts"], "extensions": extensions},
            {"message": failure, "path": ["product"], "extensions": extensions},
        ],
        "data": {
            "topProducts": [{"name": "Table", "reviews": None}, {"name": "Couch", "reviews": None}],
            "product": {"name": "Couch", "reviews": None},
        },
    }
    assert len(fakes["reviews"].received) == 1
