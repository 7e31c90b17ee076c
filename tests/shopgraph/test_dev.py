"""`shopgraph dev`: every subgraph and the router in one app, over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from shopgraph.dev import create_dev_app
from subgraphs.platform.settings import Settings
from tests.servers import free_port, served

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { user { id username email } accessToken errors { code } }
}"""


@pytest.fixture
async def dev(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    port = free_port()
    async with (
        served(create_dev_app(settings, port), port) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        yield client


async def test_the_supergraph_answers_at_graphql(dev: httpx.AsyncClient) -> None:
    variables = {
        "input": {"username": "walt", "email": "walt@example.com", "password": "long enough"}
    }
    registered = (
        await dev.post("/graphql", json={"query": REGISTER, "variables": variables})
    ).json()
    payload = registered["data"]["register"]
    assert payload["errors"] == []
    assert payload["user"]["username"] == "walt"
    assert payload["user"]["email"] == "walt@example.com"

    token = payload["accessToken"]
    me = await dev.post(
        "/graphql",
        json={"query": "{ me { id username email role } }"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert me.json() == {
        "data": {
            "me": {
                "id": payload["user"]["id"],
                "username": "walt",
                "email": "walt@example.com",
                "role": "CUSTOMER",
            }
        }
    }


async def test_subgraph_errors_reach_the_client_with_the_service_name(
    dev: httpx.AsyncClient,
) -> None:
    body = (await dev.post("/graphql", json={"query": "{ me { username } }"})).json()
    assert body["data"] == {"me": None}
    [error] = body["errors"]
    assert error["path"] == ["me"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["extensions"]["serviceName"] == "users"


async def test_a_bad_token_is_refused_by_the_subgraph_behind_the_router(
    dev: httpx.AsyncClient,
) -> None:
    response = await dev.post(
        "/graphql", json={"query": "{ me { username } }"}, headers={"authorization": "Bearer nope"}
    )
    body = response.json()
    assert body["data"] == {"me": None}
    assert body["errors"][0]["extensions"]["serviceName"] == "users"


async def test_each_subgraph_is_also_served_under_its_path(dev: httpx.AsyncClient) -> None:
    assert (await dev.get("/")).json() == {
        "graphql": "/graphql",
        "subgraphs": {"users": "/subgraphs/users/graphql"},
    }
    sdl = await dev.post("/subgraphs/users/graphql", json={"query": "{ _service { sdl } }"})
    assert 'type User @key(fields: "id")' in sdl.json()["data"]["_service"]["sdl"]
    assert (await dev.get("/subgraphs/users/readyz")).status_code == 200
    assert (await dev.get("/readyz")).status_code == 200


async def test_graphiql_is_served_offline(dev: httpx.AsyncClient) -> None:
    page = await dev.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert "https://" not in page.text
    assert "http://" not in page.text
