"""Running plans: merging by path through lists, entity dedupe, parallelism, conditions."""

from __future__ import annotations

import time
from typing import Any

from router.operation import GraphQLRequest
from router.planning.plan import Condition, Parallel, QueryPlan, Sequence
from tests.router.execution.fakes import (
    answer,
    entities,
    fixed_plan,
    gateway,
    slow,
    subgraphs,
)
from tests.router.execution.shop import SDL, entity_fetch, fetch, flatten

TOP_PRODUCTS = QueryPlan(
    Sequence(
        (
            fetch("products", "{ topProducts { name __typename upc } }"),
            flatten(
                "topProducts.@",
                entity_fetch(
                    "reviews", "Product", "reviews { body author { __typename id } }", "upc"
                ),
            ),
            flatten(
                "topProducts.@.reviews.@.author",
                entity_fetch("users", "User", "name", "id"),
            ),
        )
    )
)

PRODUCTS = {
    "topProducts": [
        {"name": "Table", "__typename": "Product", "upc": "1"},
        {"name": "Couch", "__typename": "Product", "upc": "2"},
        {"name": "Table", "__typename": "Product", "upc": "1"},  # listed twice
    ]
}
REVIEWS = {
    "1": [{"body": "Love it", "author": {"__typename": "User", "id": "u1"}}],
    "2": [
        {"body": "Too soft", "author": {"__typename": "User", "id": "u2"}},
        {"body": "Comfy", "author": {"__typename": "User", "id": "u1"}},
    ],
}
NAMES = {"u1": "Ada", "u2": "Grace"}


def review_entities(representation: dict[str, Any]) -> dict[str, Any]:
    return {"reviews": REVIEWS[representation["upc"]]}


def user_entities(representation: dict[str, Any]) -> dict[str, Any]:
    return {"name": NAMES[representation["id"]]}


async def test_entities_merge_into_every_object_of_the_path_through_lists() -> None:
    async with (
        subgraphs(
            products=answer(PRODUCTS),
            reviews=entities(review_entities),
            users=entities(user_entities),
        ) as fakes,
        gateway(SDL, fakes, fixed_plan(TOP_PRODUCTS)) as router,
    ):
        response = await router.execute(
            GraphQLRequest("{ topProducts { name reviews { body author { name } } } }"), {}
        )

    table = {"name": "Table", "reviews": [{"body": "Love it", "author": {"name": "Ada"}}]}
    couch = {
        "name": "Couch",
        "reviews": [
            {"body": "Too soft", "author": {"name": "Grace"}},
            {"body": "Comfy", "author": {"name": "Ada"}},
        ],
    }
    assert response.status_code == 200
    assert response.body == {"data": {"topProducts": [table, couch, table]}}
    # Product 1 is listed twice and Ada wrote two reviews: each goes once.
    assert fakes["reviews"].received[0].representations == [
        {"__typename": "Product", "upc": "1"},
        {"__typename": "Product", "upc": "2"},
    ]
    assert fakes["users"].received[0].representations == [
        {"__typename": "User", "id": "u1"},
        {"__typename": "User", "id": "u2"},
    ]
    assert [len(fake.received) for fake in fakes.values()] == [1, 1, 1]


async def test_an_entity_fetch_with_no_objects_at_its_path_is_not_sent() -> None:
    async with (
        subgraphs(
            products=answer({"topProducts": []}),
            reviews=entities(review_entities),
            users=entities(user_entities),
        ) as fakes,
        gateway(SDL, fakes, fixed_plan(TOP_PRODUCTS)) as router,
    ):
        response = await router.execute(
            GraphQLRequest("{ topProducts { name reviews { body author { name } } } }"), {}
        )

    assert response.body == {"data": {"topProducts": []}}
    assert [len(fake.received) for fake in fakes.values()] == [1, 0, 0]


async def test_type_conditions_in_paths_keep_only_objects_of_those_types() -> None:
    plan = QueryPlan(
        Sequence(
            (
                fetch(
                    "products",
                    "{ search(text: $text) { __typename ... on Product { __typename upc name } "
                    "... on Shop { name } } }",
                    variables=("text",),
                ),
                flatten(
                    "search.@.|Product",
                    entity_fetch("reviews", "Product", "reviews { body }", "upc"),
                ),
            )
        )
    )
    found = [
        {"__typename": "Shop", "name": "Corner shop"},
        {"__typename": "Product", "upc": "2", "name": "Couch"},
    ]
    async with (
        subgraphs(
            products=answer({"search": found}),
            reviews=entities(lambda r: {"reviews": [{"body": f"about {r['upc']}"}]}),
        ) as fakes,
        gateway(SDL, fakes, fixed_plan(plan)) as router,
    ):
        response = await router.execute(
            GraphQLRequest(
                "query($text: String!) { search(text: $text) { "
                "... on Product { name reviews { body } } ... on Shop { name } } }",
                variables={"text": "c"},
            ),
            {},
        )

    assert response.body == {
        "data": {
            "search": [
                {"name": "Corner shop"},
                {"name": "Couch", "reviews": [{"body": "about 2"}]},
            ]
        }
    }
    assert fakes["products"].received[0].body["variables"] == {"text": "c"}
    assert fakes["reviews"].received[0].representations == [{"__typename": "Product", "upc": "2"}]


async def test_parallel_fetches_run_together_and_sequence_after() -> None:
    plan = QueryPlan(
        Parallel(
            (
                fetch("users", "{ me { name } }"),
                fetch("products", '{ product(upc: "1") { name } }'),
            )
        )
    )
    async with (
        subgraphs(
            users=slow(0.4, answer({"me": {"name": "Ada"}})),
            products=slow(0.4, answer({"product": {"name": "Table"}})),
        ) as fakes,
        gateway(SDL, fakes, fixed_plan(plan)) as router,
    ):
        started = time.perf_counter()
        response = await router.execute(
            GraphQLRequest('{ product(upc: "1") { name } me { name } }'), {}
        )
        elapsed = time.perf_counter() - started

    assert response.body == {"data": {"product": {"name": "Table"}, "me": {"name": "Ada"}}}
    assert elapsed < 0.7  # one 0.4 s wait, not two


async def test_a_condition_runs_its_branch_by_the_variable() -> None:
    plan = QueryPlan(
        Sequence(
            (
                fetch("products", "{ topProducts { upc __typename } }"),
                Condition(
                    "withReviews",
                    flatten(
                        "topProducts.@",
                        entity_fetch(
                            "reviews",
                            "Product",
                            "reviews @include(if: $withReviews) { body }",
                            "upc",
                        ),
                    ),
                    None,
                ),
            )
        )
    )
    query = (
        "query($withReviews: Boolean!) "
        "{ topProducts { upc reviews @include(if: $withReviews) { body } } }"
    )
    products = {"topProducts": [{"upc": "1", "__typename": "Product"}]}
    async with (
        subgraphs(
            products=answer(products),
            reviews=entities(lambda _: {"reviews": [{"body": "Love it"}]}),
        ) as fakes,
        gateway(SDL, fakes, fixed_plan(plan)) as router,
    ):
        without = await router.execute(GraphQLRequest(query, variables={"withReviews": False}), {})
        sent_without = len(fakes["reviews"].received)
        with_reviews = await router.execute(
            GraphQLRequest(query, variables={"withReviews": True}), {}
        )

    assert without.body == {"data": {"topProducts": [{"upc": "1"}]}}
    assert sent_without == 0
    assert with_reviews.body == {
        "data": {"topProducts": [{"upc": "1", "reviews": [{"body": "Love it"}]}]}
    }
    assert len(fakes["reviews"].received) == 1


async def test_interface_object_representations_carry_the_interface_name() -> None:
    plan = QueryPlan(
        Sequence(
            (
                fetch("products", "{ catalog { __typename ... on Book { __typename title id } } }"),
                flatten(
                    "catalog.@",
                    entity_fetch("reviews", "Book", "rating", "id", rename="Catalog"),
                ),
            )
        )
    )
    async with (
        subgraphs(
            products=answer({"catalog": [{"__typename": "Book", "title": "Dune", "id": "b1"}]}),
            reviews=entities(lambda r: {"__typename": "Catalog", "rating": 5}),
        ) as fakes,
        gateway(SDL, fakes, fixed_plan(plan)) as router,
    ):
        response = await router.execute(
            GraphQLRequest("{ catalog { __typename title rating } }"), {}
        )

    assert fakes["reviews"].received[0].representations == [{"__typename": "Catalog", "id": "b1"}]
    assert response.body == {
        "data": {"catalog": [{"__typename": "Book", "title": "Dune", "rating": 5}]}
    }


async def test_the_authorization_header_goes_to_every_subgraph_and_nothing_else() -> None:
    async with (
        subgraphs(
            products=answer(PRODUCTS),
            reviews=entities(review_entities),
            users=entities(user_entities),
        ) as fakes,
        gateway(SDL, fakes, fixed_plan(TOP_PRODUCTS)) as router,
    ):
        await router.execute(
            GraphQLRequest("{ topProducts { name reviews { body author { name } } } }"),
            {"authorization": "Bearer abc", "cookie": "session=1"},
        )

    for fake in fakes.values():
        headers = {k.lower(): v for k, v in fake.received[0].headers.items()}
        assert headers["authorization"] == "Bearer abc"
        assert "cookie" not in headers
        assert headers["content-type"] == "application/json"
