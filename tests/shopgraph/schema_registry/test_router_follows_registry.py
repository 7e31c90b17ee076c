"""End to end: the registry service and a router following it. A published change reaches
the router, which hot-reloads it into the one app it serves (its metrics go on counting)
while clients keep querying, and no request fails."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from router.config import RouterConfig
from router.registry_poller import RegistryFollower
from shopgraph.loopback import free_port, served
from shopgraph.schema_registry.server import RegistryConfig, create_registry_app
from subgraphs.platform.settings import Settings
from tests.router.execution.fakes import FakeSubgraph, answer

TOKEN = "registry-token-for-tests"
AUTH = {"authorization": f"Bearer {TOKEN}"}
FED = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'


async def until(condition: Any, seconds: float = 15) -> None:
    async with asyncio.timeout(seconds):
        while not await condition():  # noqa: ASYNC110 - polls a server over HTTP, no event to wait on
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_published_change_is_served_without_a_failed_request(settings: Settings) -> None:
    subgraph = FakeSubgraph("a", answer({"a": 1, "b": 2}))
    await subgraph.start()
    registry_app = create_registry_app(settings, RegistryConfig(TOKEN))
    try:
        async with served(registry_app, free_port()) as registry_url:
            registry = httpx.AsyncClient(base_url=registry_url)
            first = {"subgraphs": {"a": FED + "type Query { a: Int }"}, "urls": {"a": subgraph.url}}
            assert (
                await registry.post("/v1/subgraphs", json=first, headers=AUTH)
            ).status_code == 201

            follower = RegistryFollower(registry_url, RouterConfig(), interval=0.05)
            async with served(follower, free_port()) as router_url:
                client = httpx.AsyncClient(base_url=router_url)
                results: list[tuple[int, Any]] = []
                stop = asyncio.Event()

                async def keep_querying() -> None:
                    while not stop.is_set():
                        response = await client.post("/graphql", json={"query": "{ a }"})
                        results.append((response.status_code, response.json()))

                traffic = asyncio.create_task(keep_querying())
                await until(lambda: _at_least(results, 20))
                second = {"sdl": FED + "type Query { a: Int b: Int }"}
                published = await registry.post("/v1/subgraphs/a", json=second, headers=AUTH)
                assert published.status_code == 201

                async def b_is_served() -> bool:
                    response = await client.post("/graphql", json={"query": "{ a b }"})
                    return bool(response.json() == {"data": {"a": 1, "b": 2}})

                await until(b_is_served)
                served_before = len(results)
                await until(lambda: _at_least(results, served_before + 20))
                stop.set()
                await traffic
                # One app throughout: its metrics count the requests from before the reload.
                metrics = (await client.get("/metrics")).text
                await client.aclose()
            await registry.aclose()
    finally:
        await subgraph.close()

    assert follower.reloads == 1
    counted = _requests_counted(metrics)
    assert counted >= len(results), (counted, len(results))
    assert {(status, str(body)) for status, body in results} == {(200, str({"data": {"a": 1}}))}


def _requests_counted(metrics: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics)
        if family.name == "shopgraph_router_requests"
        for sample in family.samples
        if sample.name == "shopgraph_router_requests_total"
    )


async def _at_least(results: list[Any], count: int) -> bool:
    return len(results) >= count


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_router_keeps_serving_while_the_registry_is_down(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A registry that stops answering costs no request: the router serves what it has,
    logs why, and takes the next version once the registry is back (same database)."""
    subgraph = FakeSubgraph("a", answer({"a": 1, "b": 2}))
    await subgraph.start()
    port = free_port()
    first = {"subgraphs": {"a": FED + "type Query { a: Int }"}, "urls": {"a": subgraph.url}}
    second = {"sdl": FED + "type Query { a: Int b: Int }"}
    registry_up = AsyncExitStack()  # the registry's lifetimes, on one port
    try:
        async with AsyncExitStack() as stack:
            url = await registry_up.enter_async_context(
                served(create_registry_app(settings, RegistryConfig(TOKEN)), port)
            )
            async with httpx.AsyncClient(base_url=url) as registry:
                await registry.post("/v1/subgraphs", json=first, headers=AUTH)
            follower = RegistryFollower(url, RouterConfig(), interval=0.05)
            router_url = await stack.enter_async_context(served(follower, free_port()))
            client = await stack.enter_async_context(httpx.AsyncClient(base_url=router_url))

            await registry_up.aclose()
            await until(lambda: _logged(caplog, "keeping the current supergraph"))
            during = await client.post("/graphql", json={"query": "{ a }"})

            await registry_up.enter_async_context(
                served(create_registry_app(settings, RegistryConfig(TOKEN)), port)
            )
            async with httpx.AsyncClient(base_url=url) as registry:
                published = await registry.post("/v1/subgraphs/a", json=second, headers=AUTH)

            async def b_is_served() -> bool:
                response = await client.post("/graphql", json={"query": "{ a b }"})
                return bool(response.json() == {"data": {"a": 1, "b": 2}})

            await until(b_is_served)
    finally:
        await registry_up.aclose()
        await subgraph.close()

    assert (during.status_code, during.json()) == (200, {"data": {"a": 1}})
    assert published.json()["version"] == 2
    assert follower.reloads == 1
    assert f"keeping the current supergraph: {url}/v1/supergraph: " in caplog.text


async def _logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return text in caplog.text
