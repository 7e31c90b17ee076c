"""Shaping responses: query order, aliases, fragments, @skip/@include, __typename, enums."""

from __future__ import annotations

from typing import Any

from router.operation import GraphQLRequest
from router.planning.plan import QueryPlan
from tests.router.execution.fakes import Handler, answer, fixed_plan, gateway, subgraphs
from tests.router.execution.shop import SDL, fetch


async def run(
    service: str, handler: Handler, query: str, variables: dict[str, Any] | None = None
) -> Any:
    # The plan's text does not matter to the fake; what the router does with
    # the answer does.
    plan = QueryPlan(fetch(service, "{ __typename }"))
    async with (
        subgraphs(**{service: handler}) as fakes,
        gateway(SDL, fakes, fixed_plan(plan)) as router,
    ):
        response = await router.execute(GraphQLRequest(query, variables=variables), {})
    return response.body


async def test_fields_come_out_in_query_order_without_planner_keys() -> None:
    # The subgraph answers in its own order with keys the planner added.
    products = answer(
        {
            "product": {
                "upc": "1",
                "__typename": "Product",
                "price": 10,
                "cheap": 10,
                "name": "Table",
            }
        }
    )
    query = '{ product(upc: "1") { name cheap: price price } }'

    body = await run("products", products, query)

    assert body == {"data": {"product": {"name": "Table", "cheap": 10, "price": 10}}}
    assert list(body["data"]["product"]) == ["name", "cheap", "price"]


async def test_fragments_and_type_conditions_apply_by_runtime_type() -> None:
    products = answer(
        {
            "search": [
                {"__typename": "Shop", "shopName": "Corner", "owner": None},
                {"__typename": "Product", "name": "Couch", "upc": "2", "price": 5},
            ]
        }
    )
    query = """
        query {
          search(text: "c") {
            __typename
            ...ProductParts
            ... on Shop { shopName: name owner { id } }
            ... on SearchResult { ... on Product { upc } }
          }
        }
        fragment ProductParts on Product { name price }
    """

    body = await run("products", products, query)

    assert body == {
        "data": {
            "search": [
                {"__typename": "Shop", "shopName": "Corner", "owner": None},
                {"__typename": "Product", "name": "Couch", "price": 5, "upc": "2"},
            ]
        }
    }


async def test_a_null_in_a_non_null_list_item_nulls_up_to_data() -> None:
    # The Shop lacks shopName (String!): the Shop is null, but SearchResult! in
    # [SearchResult!]! on a non-null root field leaves nothing nullable but data.
    products = answer({"search": [{"__typename": "Shop", "name": "Corner"}]})

    body = await run(
        "products", products, '{ search(text: "c") { ... on Shop { shopName: name } } }'
    )

    assert body == {
        "errors": [
            {
                "message": "Cannot return null for non-nullable field Shop.name.",
                "path": ["search", 0, "shopName"],
            }
        ],
        "data": None,
    }


async def test_aliases_are_read_from_the_data_under_the_alias() -> None:
    products = answer(
        {
            "search": [
                {"__typename": "Shop", "shopName": "Corner", "owner": None},
                {"__typename": "Product", "title": "Couch", "upc": "2"},
            ]
        }
    )
    query = """{
      search(text: "c") { ... on Shop { shopName: name owner { id } } ... on Product { title: name } }
    }"""

    body = await run("products", products, query)

    assert body == {"data": {"search": [{"shopName": "Corner", "owner": None}, {"title": "Couch"}]}}


async def test_skip_and_include_follow_literals_and_variables() -> None:
    users = answer({"me": {"id": "u1", "name": "Ada", "nickname": "ada", "alsoId": "u1"}})
    query = """
        query($withName: Boolean!, $skipNick: Boolean = true) {
          me {
            id @skip(if: true)
            name @include(if: $withName)
            nickname @skip(if: $skipNick)
            ... @include(if: false) { id }
            ... on User @include(if: true) { alsoId: id }
          }
        }
    """

    shown = await run("users", users, query, {"withName": True, "skipNick": False})
    hidden = await run("users", users, query, {"withName": False})

    assert shown == {"data": {"me": {"name": "Ada", "nickname": "ada", "alsoId": "u1"}}}
    assert hidden == {"data": {"me": {"alsoId": "u1"}}}


async def test_typename_is_answered_from_the_schema_at_the_root_and_the_data_below() -> None:
    products = answer({"search": [{"__typename": "Shop", "name": "Corner"}]})
    query = '{ __typename kind: __typename search(text: "c") { __typename t: __typename } }'

    body = await run("products", products, query)

    assert body == {
        "data": {
            "__typename": "Query",
            "kind": "Query",
            "search": [{"__typename": "Shop", "t": "Shop"}],
        }
    }


async def test_mutation_root_typename_is_the_mutation_type() -> None:
    reviews = answer({"addReview": {"id": "r1"}})
    query = 'mutation { __typename addReview(upc: "1", body: "ok") { id } }'

    body = await run("reviews", reviews, query)

    assert body == {"data": {"__typename": "Mutation", "addReview": {"id": "r1"}}}


async def test_enum_values_hidden_from_the_api_schema_become_null_with_an_error() -> None:
    products = answer(
        {
            "topProducts": [
                {"name": "Old", "category": "LEGACY"},
                {"name": "Dune", "category": "BOOKS"},
            ]
        }
    )

    body = await run("products", products, "{ topProducts { name category } }")

    assert body == {
        "errors": [
            {
                "message": 'Enum "Category" cannot represent value: "LEGACY"',
                "path": ["topProducts", 0, "category"],
            }
        ],
        "data": {
            "topProducts": [
                {"name": "Old", "category": None},
                {"name": "Dune", "category": "BOOKS"},
            ]
        },
    }


async def test_an_unknown_runtime_type_nulls_the_object_with_an_error() -> None:
    products = answer({"search": [{"__typename": "Internal", "x": 1}]})

    body = await run("products", products, '{ search(text: "c") { __typename } }')

    assert body == {
        "errors": [
            {
                "message": "Could not resolve the runtime type of SearchResult ('Internal').",
                "path": ["search", 0],
            }
        ],
        "data": None,
    }
