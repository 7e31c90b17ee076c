"""A fake subgraph whose one subscription, `flood`, sends 10 KB events as fast as it
can (up to `Flood.most`), and a router in front of it on real ports.

It records what the router sent when it opened the upstream: the upgrade
request's headers and the `connection_init` payload.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from router.composition import SubgraphSource, compose
from router.config import RouterConfig
from router.http import create_router_app
from router.subscriptions import SubscriptionHub
from shopgraph.loopback import free_port, served

FLOOD_SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { hello: String }
type Subscription { flood: String }
"""
EVENT = "x" * 10_000


@dataclass
class Flood:
    most: int = 20_000  # 200 MB if nothing stopped it
    sent: int = 0
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    upgrade_headers: dict[str, str] = field(default_factory=dict)
    init_payload: Any = None


def flood_subgraph(flood: Flood) -> Starlette:
    async def endpoint(ws: WebSocket) -> None:
        flood.upgrade_headers = dict(ws.headers)
        await ws.accept("graphql-transport-ws")
        try:
            init = orjson.loads(await ws.receive_text())
            flood.init_payload = init.get("payload")
            await ws.send_text('{"type": "connection_ack"}')
            subscribe = orjson.loads(await ws.receive_text())
            next_message = {"id": subscribe["id"], "type": "next"}
            while flood.sent < flood.most:
                payload = {"data": {"flood": f"{flood.sent}:{EVENT}"}}
                await ws.send_text(orjson.dumps({**next_message, "payload": payload}).decode())
                flood.sent += 1
            await ws.send_text(orjson.dumps({"id": subscribe["id"], "type": "complete"}).decode())
            await ws.receive_text()  # until the router closes
        except WebSocketDisconnect:
            pass
        finally:
            flood.closed.set()

    return Starlette(routes=[WebSocketRoute("/graphql", endpoint)])


@dataclass
class FloodedRouter:
    ws_url: str
    port: int
    hub: SubscriptionHub


@asynccontextmanager
async def flooded_router(flood: Flood, **settings: Any) -> AsyncIterator[FloodedRouter]:
    """A router whose only subgraph is `flood`, with these RouterConfig settings."""
    subgraph_port, router_port = free_port(), free_port()
    subgraph_url = f"http://127.0.0.1:{subgraph_port}/graphql"
    composed = compose([SubgraphSource("flood", subgraph_url, FLOOD_SDL)])
    assert composed.supergraph_sdl is not None, composed.errors
    app = create_router_app(composed.supergraph_sdl, RouterConfig(**settings))
    async with (
        served(flood_subgraph(flood), subgraph_port),
        served(app, router_port) as url,
    ):
        ws_url = url.replace("http", "ws", 1) + "/graphql"
        yield FloodedRouter(ws_url, router_port, app.state.subscriptions)
