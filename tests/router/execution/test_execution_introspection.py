"""Introspection answered by the router from the API schema."""

from __future__ import annotations

from graphql import build_client_schema, get_introspection_query

from router.operation import GraphQLRequest
from router.planning.plan import QueryPlan
from tests.router.execution.fakes import answer, fixed_plan, gateway, subgraphs
from tests.router.execution.shop import SDL, fetch


async def test_full_introspection_shows_the_api_schema_only() -> None:
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    async with subgraphs() as fakes, gateway(SDL, fakes, fixed_plan(QueryPlan(None))) as router:
        response = await router.execute(GraphQLRequest(query), {})

    assert response.status_code == 200
    assert "errors" not in response.body
    schema = build_client_schema(response.body["data"])
    names = set(schema.type_map)
    assert not {n for n in names if n.startswith(("join__", "link__"))}
    assert not names & {"Internal", "_Any", "_Entity", "_Service", "join__FieldSet"}
    assert {"Query", "Mutation", "Product", "Review", "User", "Shop", "Catalog", "Book"} <= names
    # get_type returns Optional[...]; these types exist in the SDL above.
    assert list(schema.get_type("Product").fields) == [  # type: ignore[union-attr]
        "upc",
        "name",
        "price",
        "category",
        "reviews",
    ]
    assert list(schema.get_type("Category").values) == ["BOOKS", "GAMES"]  # type: ignore[union-attr]
    assert "_entities" not in schema.query_type.fields  # type: ignore[union-attr]
    directives = {d.name for d in schema.directives}
    assert not {d for d in directives if d.startswith("join__")}
    assert not directives & {"link", "inaccessible"}


async def test_introspection_fields_merge_with_planned_fields_in_query_order() -> None:
    plan = QueryPlan(fetch("users", "{ me { name } }"))
    query = """query($t: String!) {
      me { name }
      kind: __type(name: $t) { name fields { name } }
      __typename
      ... on Query { __schema { queryType { name } } }
    }"""
    async with (
        subgraphs(users=answer({"me": {"name": "Ada"}})) as fakes,
        gateway(SDL, fakes, fixed_plan(plan)) as router,
    ):
        response = await router.execute(GraphQLRequest(query, variables={"t": "User"}), {})

    assert response.body == {
        "data": {
            "me": {"name": "Ada"},
            "kind": {
                "name": "User",
                "fields": [{"name": "id"}, {"name": "name"}, {"name": "nickname"}],
            },
            "__typename": "Query",
            "__schema": {"queryType": {"name": "Query"}},
        }
    }
    assert list(response.body["data"]) == ["me", "kind", "__typename", "__schema"]


async def test_inaccessible_types_are_unknown_to_type_lookups() -> None:
    async with subgraphs() as fakes, gateway(SDL, fakes, fixed_plan(QueryPlan(None))) as router:
        response = await router.execute(
            GraphQLRequest(
                '{ a: __type(name: "Internal") { name } b: __type(name: "_Any") { name } }'
            ),
            {},
        )

    assert response.body == {"data": {"a": None, "b": None}}


async def test_introspection_can_be_switched_off() -> None:
    async with (
        subgraphs() as fakes,
        gateway(SDL, fakes, fixed_plan(QueryPlan(None)), introspection=False) as router,
    ):
        response = await router.execute(GraphQLRequest("{ __schema { types { name } } }"), {})

    assert response.status_code == 400
    assert response.body == {
        "errors": [
            {
                "message": "Introspection is disabled.",
                "extensions": {"code": "INTROSPECTION_DISABLED"},
            }
        ]
    }
