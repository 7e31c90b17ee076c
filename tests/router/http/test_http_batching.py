"""Batches: a JSON array of operations, answered by an array; off unless configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from router.config import RouterConfig
from router.http import create_router_app
from tests.graphql import serve
from tests.router.execution.fakes import answer, subgraphs
from tests.router.execution.shop import SDL

ME = {"query": "query Me { me { name } }"}
TOP = {"query": "{ topProducts { name } }"}
BAD = {"query": "{ nope }"}


@asynccontextmanager
async def router(**config: Any) -> AsyncIterator[httpx.AsyncClient]:
    handlers = {
        "users": answer({"me": {"name": "Ada"}}),
        "products": answer({"topProducts": [{"name": "Table"}]}),
    }
    async with subgraphs(**handlers) as fakes:
        urls = {name: fake.url for name, fake in fakes.items()}
        app = create_router_app(SDL, RouterConfig(subgraph_urls=urls, **config))
        async with serve(app) as client:
            yield client


async def test_a_batch_answers_each_operation_in_order() -> None:
    async with router(batching=True, max_batch_size=3) as client:
        response = await client.post("/graphql", json=[ME, TOP, BAD])

    assert response.status_code == 200
    [me, top, bad] = response.json()
    assert me == {"data": {"me": {"name": "Ada"}}}
    assert top == {"data": {"topProducts": [{"name": "Table"}]}}
    assert bad["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_batches_are_refused_when_off_or_too_large() -> None:
    async with router() as client:
        off = await client.post("/graphql", json=[ME])
    async with router(batching=True, max_batch_size=2) as client:
        large = await client.post("/graphql", json=[ME, ME, ME])
        empty = await client.post("/graphql", json=[])
        single = await client.post("/graphql", json=ME)

    assert off.status_code == 400
    assert off.json()["errors"] == [
        {
            "message": "The request body must be a JSON object (batches are not enabled).",
            "extensions": {"code": "BAD_REQUEST"},
        }
    ]
    assert (large.status_code, large.json()["errors"][0]["extensions"]["code"]) == (
        400,
        "BATCH_LIMIT_EXCEEDED",
    )
    assert empty.status_code == 400
    assert single.json() == {"data": {"me": {"name": "Ada"}}}
