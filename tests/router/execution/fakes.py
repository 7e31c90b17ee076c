"""Fake subgraphs for router tests: real HTTP servers on 127.0.0.1, canned answers.

Each fake records what it received (body and headers) so tests can assert
the exact requests the router sent: representations, variables, headers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from router.config import RouterConfig
from router.gateway import Gateway, Planner
from router.planning.plan import QueryPlan
from router.supergraph import load_supergraph

Answer = dict[str, Any] | web.StreamResponse
Handler = Callable[[dict[str, Any]], Awaitable[Answer] | Answer]


@dataclass
class Received:
    body: dict[str, Any]
    headers: Mapping[str, str]

    @property
    def representations(self) -> list[dict[str, Any]]:
        representations: list[dict[str, Any]] = self.body["variables"]["representations"]
        return representations


class FakeSubgraph:
    def __init__(self, name: str, handler: Handler) -> None:
        self.name = name
        self.handler = handler
        self.received: list[Received] = []
        self._server: TestServer | None = None
        self.url = ""  # known once started; kept after close, for "nothing listens" tests

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/graphql", self._handle)
        self._server = TestServer(app, host="127.0.0.1", port=None)
        await self._server.start_server()
        self.url = str(self._server.make_url("/graphql"))

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.received.append(Received(body, dict(request.headers)))
        answer = self.handler(body)
        if asyncio.iscoroutine(answer):
            answer = await answer
        if isinstance(answer, web.StreamResponse):
            return answer
        return web.json_response(answer)


def answer(data: Any = None, errors: list[Any] | None = None) -> Handler:
    body: dict[str, Any] = {"data": data}
    if errors is not None:
        body["errors"] = errors
    return lambda _: body


def entities(resolve: Callable[[dict[str, Any]], Any], errors: list[Any] | None = None) -> Handler:
    """Answers `_entities` with `resolve(representation)` for each representation."""

    def handle(body: dict[str, Any]) -> Answer:
        found = [resolve(r) for r in body["variables"]["representations"]]
        result: dict[str, Any] = {"data": {"_entities": found}}
        if errors is not None:
            result["errors"] = errors
        return result

    return handle


def slow(seconds: float, then: Handler) -> Handler:
    async def handle(body: dict[str, Any]) -> Answer:
        await asyncio.sleep(seconds)
        result = then(body)
        return await result if isinstance(result, Awaitable) else result

    return handle


def fixed_plan(plan: QueryPlan) -> Planner:
    return lambda _supergraph, _document, _name, _labels: plan


@asynccontextmanager
async def subgraphs(**handlers: Handler) -> AsyncIterator[dict[str, FakeSubgraph]]:
    async with AsyncExitStack() as stack:
        fakes = {}
        for name, handler in handlers.items():
            fake = FakeSubgraph(name, handler)
            await fake.start()
            stack.push_async_callback(fake.close)
            fakes[name] = fake
        yield fakes


@asynccontextmanager
async def gateway(
    sdl: str,
    fakes: Mapping[str, FakeSubgraph],
    planner: Planner | None = None,
    **config: Any,
) -> AsyncIterator[Gateway]:
    urls = {name: fake.url for name, fake in fakes.items()}
    router_config = RouterConfig(subgraph_urls=urls, **config)
    running = Gateway(load_supergraph(sdl), router_config, planner)
    await running.start()
    try:
        yield running
    finally:
        await running.close()
