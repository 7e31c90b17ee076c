"""Following a schema registry: serve its latest supergraph, hot-reloading each new one.

`RegistryFollower` is an ASGI app around one router app. On startup it fetches
the registry's `/v1/supergraph` and builds the router app from it; then it
polls with `If-None-Match`, and a new supergraph goes through the router's own
hot reload (`LiveGateway.swap`, `router.reload`): the new gateway is started
beside the serving one, requests already running finish on the old one, and a
supergraph that does not load is logged while the current one keeps serving.
The app itself stays, with its metrics, subscriptions and persisted queries.
Each process follows the registry on its own, so `shopgraph router --registry`
can run several workers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack

import aiohttp
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from router.config import RouterConfig
from router.http import create_router_app
from router.reload import LiveGateway
from router.supergraph import SupergraphError

log = logging.getLogger(__name__)

AppFactory = Callable[[str, RouterConfig], Starlette]


class RegistryUnavailable(Exception):
    pass


class RegistryFollower:
    def __init__(
        self,
        registry_url: str,
        config: RouterConfig | None = None,
        interval: float = 5.0,
        build: AppFactory = create_router_app,
    ) -> None:
        self.url = f"{registry_url.rstrip('/')}/v1/supergraph"
        self.config = config or RouterConfig()
        self.interval = interval
        self.build = build
        self.reloads = 0
        self.etag: str | None = None
        self._app: Starlette | None = None
        self._stack = AsyncExitStack()
        self._session: aiohttp.ClientSession | None = None
        self._poller: asyncio.Task[None] | None = None

    @property
    def live(self) -> LiveGateway:
        if self._app is None:
            raise RuntimeError("the router has not started")
        live: LiveGateway = self._app.state.live
        return live

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if self._app is None:
            raise RuntimeError("the router has not started")
        await self._app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.start()
                except (RegistryUnavailable, SupergraphError) as error:
                    await self.close()
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        fetched = await self._fetch(None)
        if fetched is None:
            raise RegistryUnavailable(f"{self.url} has no supergraph")
        sdl, self.etag = fetched
        app = self.build(sdl, self.config)
        await self._stack.enter_async_context(app.router.lifespan_context(app))
        self._app = app
        self._poller = asyncio.create_task(self._poll())

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        await self._stack.aclose()  # the router app's shutdown: it drains what it swapped out
        if self._session is not None:
            await self._session.close()

    async def _fetch(self, etag: str | None) -> tuple[str, str] | None:
        """(SDL, ETag) of a supergraph newer than `etag`, or None when unchanged."""
        if self._session is None:
            raise RuntimeError("the follower has not started")
        headers = {"if-none-match": etag} if etag else {}
        try:
            async with self._session.get(self.url, headers=headers) as response:
                if response.status == 304:
                    return None
                if response.status != 200:
                    raise RegistryUnavailable(f"{self.url} answered {response.status}")
                return await response.text(), response.headers.get("etag", "")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RegistryUnavailable(f"{self.url}: {error}") from error

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                fetched = await self._fetch(self.etag)
            except RegistryUnavailable as error:
                log.warning("keeping the current supergraph: %s", error)
                continue
            if fetched is None:
                continue
            sdl, etag = fetched
            # Remembered even when the swap fails: a bad version is reported once.
            self.etag = etag
            result = await self.live.swap(sdl, f"{self.url} (etag {etag})")
            if result.swapped:
                self.reloads += 1
