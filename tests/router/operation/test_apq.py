"""Automatic persisted queries through the router's HTTP endpoint, in memory and in Redis."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest

from router.config import RouterConfig
from router.http import create_router_app
from tests.graphql import serve
from tests.router.execution.fakes import FakeSubgraph, answer, subgraphs
from tests.router.execution.shop import SDL

QUERY = "query Me { me { name } }"
SHA = hashlib.sha256(QUERY.encode()).hexdigest()
PERSISTED = {"persistedQuery": {"version": 1, "sha256Hash": SHA}}
ANSWER = {"data": {"me": {"name": "Ada"}}}
NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}


@asynccontextmanager
async def routers(
    count: int = 1, **config: Any
) -> AsyncIterator[tuple[list[httpx.AsyncClient], FakeSubgraph]]:
    """`count` routers (as separate workers would be) in front of one users subgraph."""
    async with subgraphs(users=answer({"me": {"name": "Ada"}})) as fakes, AsyncExitStack() as stack:
        settings = RouterConfig(subgraph_urls={"users": fakes["users"].url}, **config)
        clients = [
            await stack.enter_async_context(serve(create_router_app(SDL, settings)))
            for _ in range(count)
        ]
        yield clients, fakes["users"]


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "memory":
        return {}
    return {"apq_redis_url": request.getfixturevalue("redis_url")}


async def test_a_hash_alone_is_unknown_until_sent_with_its_query(store: dict[str, Any]) -> None:
    async with routers(**store) as ([client], users):
        unknown = await client.post("/graphql", json={"extensions": PERSISTED})
        registered = await client.post("/graphql", json={"query": QUERY, "extensions": PERSISTED})
        by_hash = await client.post(
            "/graphql", json={"extensions": PERSISTED, "operationName": "Me"}
        )
        by_get = await client.get(
            "/graphql",
            params={"extensions": orjson.dumps(PERSISTED).decode(), "operationName": "Me"},
            headers={"apollo-require-preflight": "true"},
        )
        metrics = (await client.get("/metrics")).text

    assert (unknown.status_code, unknown.json()) == (200, NOT_FOUND)
    assert 'shopgraph_router_cache_lookups_total{cache="apq",result="miss"} 1.0' in metrics
    assert 'shopgraph_router_cache_lookups_total{cache="apq",result="hit"} 2.0' in metrics
    assert registered.json() == by_hash.json() == by_get.json() == ANSWER
    fetched = [" ".join(r.body["query"].split()) for r in users.received]
    assert fetched == ["query Me__users__0 { me { name } }"] * 3


async def test_workers_sharing_redis_share_persisted_queries(redis_url: str) -> None:
    async with routers(2, apq_redis_url=redis_url) as ([first, second], _):
        await first.post("/graphql", json={"query": QUERY, "extensions": PERSISTED})
        shared = await second.post("/graphql", json={"extensions": PERSISTED})
    async with routers(2) as ([first, second], _):
        await first.post("/graphql", json={"query": QUERY, "extensions": PERSISTED})
        alone = await second.post("/graphql", json={"extensions": PERSISTED})

    assert shared.json() == ANSWER
    assert alone.json() == NOT_FOUND


async def test_a_query_that_does_not_match_its_hash_is_refused_and_not_stored() -> None:
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    async with routers() as ([client], users):
        mismatch = await client.post("/graphql", json={"query": QUERY, "extensions": wrong})
        after = await client.post("/graphql", json={"extensions": wrong})
        version = await client.post(
            "/graphql", json={"extensions": {"persistedQuery": {"version": 2, "sha256Hash": SHA}}}
        )

    assert mismatch.status_code == 400
    assert mismatch.json() == {
        "errors": [
            {
                "message": "provided sha does not match query",
                "extensions": {"code": "PERSISTED_QUERY_HASH_MISMATCH"},
            }
        ]
    }
    assert after.json() == NOT_FOUND
    assert version.status_code == 400
    assert version.json()["errors"][0]["extensions"]["code"] == (
        "PERSISTED_QUERY_VERSION_NOT_SUPPORTED"
    )
    assert users.received == []
