"""`shopgraph dev`: every subgraph in one process on the embedded backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from shopgraph.registry import SUBGRAPHS
from subgraphs.platform.resources import SharedPlatform
from subgraphs.platform.settings import Settings


def create_dev_app(settings: Settings) -> Starlette:
    """Each subgraph at `/subgraphs/<name>/`, sharing one platform, started with this app."""
    shared = SharedPlatform()
    apps = {name: entry.create_app(settings, shared.borrow) for name, entry in SUBGRAPHS.items()}

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Starlette does not run the lifespans of mounted apps; start them here.
        async with shared.open(settings), AsyncExitStack() as stack:
            for app in apps.values():
                await stack.enter_async_context(app.router.lifespan_context(app))
            yield

    async def index(_: Request) -> JSONResponse:
        return JSONResponse({"subgraphs": {name: f"/subgraphs/{name}/graphql" for name in apps}})

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    routes: list[BaseRoute] = [Route("/", index), Route("/healthz", healthz)]
    routes += [Mount(f"/subgraphs/{name}", app) for name, app in apps.items()]
    return Starlette(routes=routes, lifespan=lifespan)
