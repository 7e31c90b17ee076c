"""The router keeps its connections to a subgraph open and reuses them across requests."""

from __future__ import annotations

import asyncio
import inspect

import uvicorn
from aiohttp import web
from aiohttp.test_utils import TestServer

from router.config import RouterConfig
from router.execution.clients import IDLE_CONNECTION_SECONDS, SubgraphClient
from router.gateway import Gateway
from router.operation import GraphQLRequest
from router.supergraph import load_supergraph
from tests.router.execution.shop import SDL


async def test_sequential_and_concurrent_requests_reuse_pooled_connections() -> None:
    peers: list[tuple[str, int]] = []
    all_in = asyncio.Event()

    async def users(request: web.Request) -> web.Response:
        assert request.transport is not None
        peers.append(request.transport.get_extra_info("peername"))
        if len(peers) > 5:  # the concurrent three: each answered once all are in
            if len(peers) == 8:
                all_in.set()
            await asyncio.wait_for(all_in.wait(), 10)
        return web.json_response({"data": {"me": {"name": "Ada"}}})

    app = web.Application()
    app.router.add_post("/graphql", users)
    server = TestServer(app, host="127.0.0.1", port=None)
    await server.start_server()
    # The three concurrent queries must each reach the subgraph, not share one answer.
    config = RouterConfig(
        subgraph_urls={"users": str(server.make_url("/graphql"))}, query_deduplication=False
    )
    router = Gateway(load_supergraph(SDL), config)
    await router.start()
    try:
        for _ in range(5):
            response = await router.execute(GraphQLRequest("{ me { name } }"), {})
            assert response.body == {"data": {"me": {"name": "Ada"}}}
        sequential = set(peers)
        answers = await asyncio.gather(
            *(router.execute(GraphQLRequest("{ me { name } }"), {}) for _ in range(3))
        )
    finally:
        await router.close()
        await server.close()

    assert len(sequential) == 1  # one connection, kept alive between requests
    assert [a.body for a in answers] == [{"data": {"me": {"name": "Ada"}}}] * 3
    # Three at once need three connections; the first is among them again.
    assert len(peers) == 8
    assert len(set(peers[5:])) == 3
    assert sequential <= set(peers[5:])


async def test_an_idle_connection_is_let_go_before_a_uvicorn_subgraph_closes_it() -> None:
    peers: list[tuple[str, int]] = []

    async def users(request: web.Request) -> web.Response:
        assert request.transport is not None
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"data": {"me": {"name": "Ada"}}})

    app = web.Application()
    app.router.add_post("/graphql", users)
    server = TestServer(app, host="127.0.0.1", port=None)
    await server.start_server()
    client = SubgraphClient("users", str(server.make_url("/graphql")), timeout=5.0)
    await client.start()
    try:
        await client.fetch("{ me { name } }", {}, {})
        await asyncio.sleep(IDLE_CONNECTION_SECONDS + 0.3)
        await client.fetch("{ me { name } }", {}, {})
    finally:
        await client.close()
        await server.close()

    assert peers[0] != peers[1]  # the idle connection was closed, a new one opened
    # uvicorn (the subgraphs' server) closes idle connections after this: a fetch sent
    # on a connection as the server closes it would fail.
    server_keeps = inspect.signature(uvicorn.Config).parameters["timeout_keep_alive"].default
    assert server_keeps > IDLE_CONNECTION_SECONDS


async def test_a_cookie_one_subgraph_answer_sets_never_goes_back_with_another_request() -> None:
    cookies: list[str | None] = []

    async def users(request: web.Request) -> web.Response:
        cookies.append(request.headers.get("cookie"))
        response = web.json_response({"data": {"me": {"name": "Ada"}}})
        response.set_cookie("session", "for-the-first-caller-only")
        return response

    app = web.Application()
    app.router.add_post("/graphql", users)
    server = TestServer(app, host="127.0.0.1", port=None)
    await server.start_server()
    # By a host name, as in compose.yaml: aiohttp's jar never keeps cookies of an IP address.
    url = f"http://localhost:{server.port}/graphql"
    client = SubgraphClient("users", url, timeout=5.0)
    await client.start()
    try:
        for _ in range(2):
            await client.fetch("{ me { name } }", {}, {})
    finally:
        await client.close()
        await server.close()

    assert cookies == [None, None]
