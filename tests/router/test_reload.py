"""A new supergraph swapped in while requests run: none fails, a broken one changes nothing."""

from __future__ import annotations

import asyncio
import gc
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from router.config import RouterConfig
from router.http import create_router_app
from router.reload import LiveGateway, SupergraphFileWatcher, SwapResult
from tests.graphql import serve
from tests.router.execution.fakes import Answer, FakeSubgraph, Handler, answer, slow, subgraphs
from tests.router.execution.shop import SDL

# The next version of the supergraph: users adds `Query.motd`.
SDL_V2 = SDL.replace(
    "  me: User @join__field(graph: USERS)\n",
    "  me: User @join__field(graph: USERS)\n  motd: String @join__field(graph: USERS)\n",
)
ME = {"query": "{ me { name } }"}
MOTD = {"query": "{ motd }"}


@dataclass
class Served:
    client: httpx.AsyncClient
    live: LiveGateway
    users: FakeSubgraph
    outcomes: list[SwapResult]


DATA = {"me": {"name": "Ada"}, "motd": "hello"}


def arrivals(count: int, reached: asyncio.Event) -> Handler:
    """Answers slowly, setting `reached` once `count` requests have arrived."""
    seen = 0

    def handle(body: dict[str, Any]) -> Answer:
        nonlocal seen
        seen += 1
        if seen == count:
            reached.set()
        return answer(DATA)(body)  # type: ignore[return-value]  # answer() is synchronous

    return slow(0.02, handle)


@asynccontextmanager
async def router(
    supergraph_file: Path | None = None, handler: Handler | None = None, **config: Any
) -> AsyncIterator[Served]:
    async with subgraphs(users=handler or answer(DATA)) as fakes:
        # Swapping is under test, not planning time: on a loaded CI machine the
        # planning thread of `{ motd }` once waited past the 1 s default.
        config.setdefault("planning_timeout_seconds", 30.0)
        settings = RouterConfig(subgraph_urls={"users": fakes["users"].url}, **config)
        app = create_router_app(SDL, settings, supergraph_file=supergraph_file)
        live: LiveGateway = app.state.live
        outcomes: list[SwapResult] = []
        live.listeners.append(outcomes.append)
        async with serve(app) as client:
            yield Served(client, live, fakes["users"], outcomes)


async def test_requests_running_during_a_swap_all_succeed_and_new_ones_see_the_new_schema() -> None:
    reached = asyncio.Event()
    # Each request must reach the subgraph itself, not share another's answer.
    async with router(handler=arrivals(11, reached), query_deduplication=False) as r:
        first = r.live.current
        before = await r.client.post("/graphql", json=MOTD)
        running = [asyncio.create_task(r.client.post("/graphql", json=ME)) for _ in range(40)]
        await asyncio.wait_for(reached.wait(), 10)  # a good part of them is at the subgraph
        result = await r.live.swap(SDL_V2, "test")
        during = [asyncio.create_task(r.client.post("/graphql", json=ME)) for _ in range(40)]
        answers = await asyncio.gather(*running, *during)
        after = await r.client.post("/graphql", json=MOTD)

        assert result == SwapResult(True, "test")
        assert r.live.current is not first
        assert [a.status_code for a in answers] == [200] * 80
        assert all(a.json() == {"data": {"me": {"name": "Ada"}}} for a in answers)
        assert before.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert after.json() == {"data": {"motd": "hello"}}
        await r.live.drained()
        assert not first.ready  # the old gateway's clients are closed once drained


async def test_after_a_swap_the_new_gateway_is_frozen_again_and_the_old_one_collected() -> None:
    async with router() as r:
        frozen_at_start = gc.get_freeze_count()
        old = weakref.ref(r.live.current)
        result = await r.live.swap(SDL_V2, "test")
        await r.live.drained()
        after = gc.get_freeze_count()
        answer_ = await r.client.post("/graphql", json=MOTD)

    assert result.swapped
    assert frozen_at_start > 1000
    assert after > 1000  # the new gateway, the modules and the app frozen again
    assert old() is None  # collected before the freeze, not kept frozen forever
    assert answer_.json() == {"data": {"motd": "hello"}}


async def test_a_broken_supergraph_keeps_the_one_serving_and_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with router() as r:
        serving = r.live.current
        with caplog.at_level(logging.ERROR, logger="router.reload"):
            broken = await r.live.swap("type Query {", "registry v7")
            unchanged = await r.live.swap(SDL, "file")
        answer_ = await r.client.post("/graphql", json=ME)

    assert broken.swapped is False
    assert broken.source == "registry v7"
    assert "does not parse" in str(broken.reason)
    assert unchanged == SwapResult(False, "file", "the supergraph is unchanged")
    assert r.outcomes == [broken, unchanged]
    assert r.live.current is serving
    assert answer_.json() == {"data": {"me": {"name": "Ada"}}}
    assert [rec.getMessage() for rec in caplog.records] == [
        f"kept the supergraph in service; registry v7 is not loadable: {broken.reason}"
    ]


async def test_the_file_watcher_swaps_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(SDL)
    async with router(path, supergraph_poll_seconds=0.01) as r:
        swapped = asyncio.Event()
        r.live.listeners.append(lambda _: swapped.set())
        path.write_text(SDL_V2)
        await asyncio.wait_for(swapped.wait(), 10)
        answer_ = await r.client.post("/graphql", json=MOTD)

    assert r.outcomes == [SwapResult(True, str(path))]
    assert answer_.json() == {"data": {"motd": "hello"}}


async def test_the_watcher_reports_a_bad_file_once_and_takes_the_next_good_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(SDL)
    async with router() as r:
        watcher = SupergraphFileWatcher(path, r.live)
        assert await watcher.check() is None
        path.write_text("not a schema")
        bad = await watcher.check()
        again = await watcher.check()
        path.write_text(SDL_V2)
        good = await watcher.check()

    assert bad == SwapResult(False, str(path), bad.reason if bad else None)
    assert "does not parse" in str(bad.reason if bad else None)
    assert again is None
    assert good == SwapResult(True, str(path))


async def test_a_watcher_started_after_the_file_changed_swaps_it_in(tmp_path: Path) -> None:
    # A worker that loaded the file just before it changed and started its watcher
    # just after (seen in CI: two workers, one still starting when the file was
    # replaced) served the old supergraph for good.
    path = tmp_path / "supergraph.graphql"
    path.write_text(SDL)
    async with router() as r:
        path.write_text(SDL_V2)
        watcher = SupergraphFileWatcher(path, r.live)
        swapped = await watcher.check()
        again = await watcher.check()

    assert swapped == SwapResult(True, str(path))
    assert again is None
