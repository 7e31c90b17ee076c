"""`shopgraph router --workers N` as a real process: SIGTERM drains the requests it runs."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from shopgraph.loopback import free_port
from tests.router.execution.fakes import Answer, answer, slow, subgraphs
from tests.router.execution.shop import SDL

ME = {"query": "{ me { name } }"}


async def two_workers(
    supergraph: Path, port: int, users_url: str, settings: dict[str, str]
) -> asyncio.subprocess.Process:
    """`shopgraph router --workers 2` serving `supergraph`, its users subgraph at `users_url`."""
    environment = {
        **os.environ,
        "SHOPGRAPH_ROUTER_SUBGRAPH_URLS": json.dumps({"users": users_url}),
        **settings,
    }
    return await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "shopgraph", "router", "--supergraph", str(supergraph)),
        *("--port", str(port), "--workers", "2"),
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def started(url: str, process: asyncio.subprocess.Process) -> None:
    """Wait until the router answers /healthz (or fail if it exited)."""
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if process.returncode is not None:
                pytest.fail(f"the router exited with {process.returncode}")
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    pytest.fail("the router did not start")


def rest_settings(directory: Path) -> dict[str, str]:
    """A router setting that maps GET /api/me to the trusted document `{ me { name } }`."""
    manifest, rest = directory / "manifest.json", directory / "rest.yaml"
    body = ME["query"]
    digest = hashlib.sha256(body.encode()).hexdigest()
    document = {"id": f"sha256:{digest}", "hash": digest, "name": "Me", "body": body}
    manifest.write_bytes(orjson.dumps({"documents": [{**document, "client": {"name": "web"}}]}))
    rest.write_text("routes:\n  - {method: GET, path: /api/me, document: web/Me}\n")
    return {
        "SHOPGRAPH_ROUTER_TRUSTED_DOCUMENTS_MANIFEST": str(manifest),
        "SHOPGRAPH_ROUTER_REST_CONFIG": str(rest),
    }


@pytest.mark.parametrize("api", ["graphql", "rest"])
async def test_sigterm_lets_every_running_request_finish_then_stops(
    tmp_path: Path, api: str
) -> None:
    arrived = asyncio.Event()
    count = 0

    async def users(body: dict[str, Any]) -> Answer:
        nonlocal count
        count += 1
        if count == 20:
            arrived.set()
        return await slow(1.0, answer({"me": {"name": "Ada"}}))(body)  # type: ignore[no-any-return,misc]

    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(SDL)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Each request must reach the subgraph itself (held there), not share another's answer.
    settings = {
        "SHOPGRAPH_ROUTER_CSRF_PREVENTION": "false",
        "SHOPGRAPH_ROUTER_QUERY_DEDUPLICATION": "false",
    }
    if api == "rest":
        settings |= rest_settings(tmp_path)
    async with subgraphs(users=users) as fakes:
        process = await two_workers(supergraph, port, fakes["users"].url, settings)
        try:
            await started(url, process)
            async with httpx.AsyncClient(timeout=30) as client:

                async def request() -> httpx.Response:
                    if api == "rest":
                        return await client.get(f"{url}/api/me")
                    return await client.post(f"{url}/graphql", json=ME)

                running = [asyncio.create_task(request()) for _ in range(20)]
                await asyncio.wait_for(arrived.wait(), 20)
                process.send_signal(signal.SIGTERM)
                answers = await asyncio.gather(*running, return_exceptions=True)
                code = await asyncio.wait_for(process.wait(), 30)
                with pytest.raises(httpx.ConnectError):
                    await request()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

    expected = {"name": "Ada"} if api == "rest" else {"data": {"me": {"name": "Ada"}}}
    assert [a.json() if isinstance(a, httpx.Response) else repr(a) for a in answers] == [
        expected
    ] * 20
    assert code == 0


async def test_every_worker_swaps_in_a_changed_supergraph_file(tmp_path: Path) -> None:
    from tests.router.test_reload import SDL_V2

    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(SDL)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data = {"me": {"name": "Ada"}, "motd": "hello"}
    async with subgraphs(users=answer(data)) as fakes:
        process = await two_workers(
            supergraph,
            port,
            fakes["users"].url,
            {"SHOPGRAPH_ROUTER_SUPERGRAPH_POLL_SECONDS": "0.1"},
        )
        try:
            await started(url, process)
            async with httpx.AsyncClient(timeout=10) as client:
                before = await client.post(f"{url}/graphql", json={"query": "{ motd }"})
                supergraph.write_text(SDL_V2)
                # Fresh connections reach either worker; each must have swapped.
                seen: list[Any] = []
                # A deadline, not a count of tries: a busy machine polls the file late.
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    async with httpx.AsyncClient(timeout=10) as fresh:
                        reply = await fresh.post(f"{url}/graphql", json={"query": "{ motd }"})
                    seen = [*seen[-9:], reply.json()]
                    if seen == [{"data": {"motd": "hello"}}] * 10:
                        break
                    await asyncio.sleep(0.05)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)

    assert before.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert seen == [{"data": {"motd": "hello"}}] * 10
