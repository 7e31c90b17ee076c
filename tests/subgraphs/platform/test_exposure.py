"""SHOPGRAPH_ENV=production: every subgraph refuses introspection and gives no hints;
whether a document asks for introspection is worked out once per text."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from graphql import validate
from starlette.applications import Starlette

from subgraphs.catalog.app import create_app as catalog_app
from subgraphs.commerce.app import create_app as commerce_app
from subgraphs.insights.app import create_app as insights_app
from subgraphs.platform import exposure
from subgraphs.platform.schema import federation_schema
from subgraphs.platform.settings import Settings
from subgraphs.social.app import create_app as social_app
from subgraphs.users.app import create_app as users_app
from tests.graphql import post, serve
from tests.subgraphs.platform.test_errors import Query

APPS: dict[str, Callable[[Settings], Starlette]] = {
    "users": users_app,
    "catalog": catalog_app,
    "commerce": commerce_app,
    "social": social_app,
    "insights": insights_app,
}
INTROSPECTION = "{ __schema { queryType { name } } }"
TYPE = 'query { a: __typename ...T } fragment T on Query { __type(name: "Query") { name } }'
NEAR_INTERNAL = "mutation { reserveStok }"


async def _ask(settings: Settings, name: str, query: str) -> tuple[int, dict[str, Any]]:
    async with serve(APPS[name](settings), f"http://{name}") as client:
        response = await post(client, query)
        return response.status_code, response.json()


@pytest.mark.parametrize("name", list(APPS))
async def test_production_subgraphs_refuse_introspection(settings: Settings, name: str) -> None:
    production = settings.model_copy(update={"env": "production"})
    for query in (INTROSPECTION, TYPE):
        _, body = await _ask(production, name, query)
        assert body == {
            "data": None,
            "errors": [
                {
                    "message": "Introspection is disabled.",
                    "extensions": {"code": "INTROSPECTION_DISABLED"},
                }
            ],
        }
    _, sdl = await _ask(production, name, "{ _service { sdl } }")
    assert "type Query" in sdl["data"]["_service"]["sdl"]  # the router still composes


async def test_production_hides_did_you_mean(settings: Settings) -> None:
    _, development = await _ask(settings, "catalog", NEAR_INTERNAL)
    _, production = await _ask(
        settings.model_copy(update={"env": "production"}), "catalog", NEAR_INTERNAL
    )

    assert [e["message"] for e in development["errors"]] == [
        "Cannot query field 'reserveStok' on type 'Mutation'. Did you mean 'reserveStock' or 'releaseStock'?"
    ]
    assert [e["message"] for e in production["errors"]] == [
        "Cannot query field 'reserveStok' on type 'Mutation'."
    ]


async def test_development_answers_introspection(settings: Settings) -> None:
    _, body = await _ask(settings, "users", INTROSPECTION)
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_a_documents_introspection_verdict_is_remembered_by_its_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    judged: list[str] = []

    def judging(schema: Any, document: Any, rules: Any) -> Any:
        judged.append(document.loc.source.body)
        return validate(schema, document, rules)

    monkeypatch.setattr(exposure, "validate", judging)
    schema = federation_schema(Query)
    production = SimpleNamespace(production=True)
    shelf = "query Q($n: Int!) { shelf { items(first: $n) } }"

    answers = [
        await schema.execute(INTROSPECTION, context_value=production),
        await schema.execute(shelf, {"n": 1}, context_value=production),
        await schema.execute(INTROSPECTION, context_value=production),
        await schema.execute(shelf, {"n": 2}, context_value=production),
        await schema.execute(INTROSPECTION, context_value=SimpleNamespace(production=False)),
    ]

    refused = (None, ["Introspection is disabled."])
    assert [(a.data, [e.message for e in a.errors or []]) for a in answers] == [
        refused,
        ({"shelf": {"items": [0]}}, []),
        refused,
        ({"shelf": {"items": [0, 1]}}, []),
        ({"__schema": {"queryType": {"name": "Query"}}}, []),
    ]
    assert judged == [INTROSPECTION, shelf]


async def test_production_refuses_a_document_that_introspects_before_running_any_of_it() -> None:
    bumped: list[int] = []

    @strawberry.type
    class Mutation:
        @strawberry.mutation
        def bump(self) -> int:
            bumped.append(1)
            return len(bumped)

    schema = federation_schema(Query, mutation=Mutation)
    document = "mutation M { bump } query Q { __schema { queryType { name } } }"

    answer = await schema.execute(
        document, operation_name="M", context_value=SimpleNamespace(production=True)
    )

    assert answer.data is None
    assert [e.message for e in answer.errors or []] == ["Introspection is disabled."]
    assert bumped == []
