"""SHOPGRAPH_ENV=production: every subgraph refuses introspection and gives no hints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette

from subgraphs.catalog.app import create_app as catalog_app
from subgraphs.commerce.app import create_app as commerce_app
from subgraphs.insights.app import create_app as insights_app
from subgraphs.platform.settings import Settings
from subgraphs.social.app import create_app as social_app
from subgraphs.users.app import create_app as users_app
from tests.graphql import post, serve

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
