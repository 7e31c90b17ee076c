"""`shopgraph router --registry URL --workers 2` as a real process: every worker follows
the registry and hot-reloads a published change into the one app it serves."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

import httpx
import pytest

from shopgraph.loopback import free_port, served
from shopgraph.schema_registry.server import RegistryConfig, create_registry_app
from subgraphs.platform.settings import Settings
from tests.router.execution.fakes import FakeSubgraph, answer
from tests.shopgraph.schema_registry.test_router_follows_registry import AUTH, FED, TOKEN
from tests.shopgraph.test_router_process import started


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_every_worker_serves_a_published_change(settings: Settings) -> None:
    subgraph = FakeSubgraph("a", answer({"a": 1, "b": 2}))
    await subgraph.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        registry_app = create_registry_app(settings, RegistryConfig(TOKEN))
        async with (
            served(registry_app, free_port()) as registry_url,
            httpx.AsyncClient(base_url=registry_url) as registry,
        ):
            first = {
                "subgraphs": {"a": FED + "type Query { a: Int }"},
                "urls": {"a": subgraph.url},
            }
            published = await registry.post("/v1/subgraphs", json=first, headers=AUTH)
            assert published.status_code == 201
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "shopgraph", "router", "--registry", registry_url,
                "--poll-interval", "0.1", "--port", str(port), "--workers", "2",
                env=dict(os.environ),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            try:
                await started(url, process)
                async with httpx.AsyncClient(timeout=10) as client:
                    before = await client.post(f"{url}/graphql", json={"query": "{ a b }"})
                second = {"sdl": FED + "type Query { a: Int b: Int }"}
                published = await registry.post("/v1/subgraphs/a", json=second, headers=AUTH)
                assert published.status_code == 201
                # Fresh connections reach either worker; each must have reloaded.
                seen: list[Any] = []
                for _ in range(200):
                    async with httpx.AsyncClient(timeout=10) as fresh:
                        reply = await fresh.post(f"{url}/graphql", json={"query": "{ a b }"})
                    seen = [*seen[-9:], reply.json()]
                    if seen == [{"data": {"a": 1, "b": 2}}] * 10:
                        break
                    await asyncio.sleep(0.05)
            finally:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 30)
    finally:
        await subgraph.close()

    assert before.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert seen == [{"data": {"a": 1, "b": 2}}] * 10
