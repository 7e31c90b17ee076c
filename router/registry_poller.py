"""Following a schema registry: serve its latest supergraph, swap to each new one.

`RegistryFollower` is an ASGI app in front of the router app. It polls the
registry's `/v1/supergraph` with `If-None-Match`; a new supergraph gets a new
router app (its subgraph clients opened first), new requests go to it, and
the old app is closed once its last in-flight request has finished, so a
reload fails no request. A supergraph that does not load is logged and the
current one kept. (A stand-in until the router's own hot reload lands; it
needs nothing from the router but `create_router_app`.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import aiohttp
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from router.config import RouterConfig
from router.http import create_router_app
from router.supergraph import SupergraphError

log = logging.getLogger(__name__)

AppFactory = Callable[[str, RouterConfig], Starlette]


class RegistryUnavailable(Exception):
    pass


@dataclass
class _Served:
    app: Starlette
    stack: AsyncExitStack
    etag: str
    inflight: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)


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
        self._current: _Served | None = None
        self._session: aiohttp.ClientSession | None = None
        self._poller: asyncio.Task[None] | None = None

    @property
    def etag(self) -> str | None:
        return self._current.etag if self._current else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        served = self._current
        if served is None:
            raise RuntimeError("the router has not started")
        served.inflight += 1
        try:
            await served.app(scope, receive, send)
        finally:
            served.inflight -= 1
            if served.inflight == 0:
                served.idle.set()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.start()
                except (RegistryUnavailable, SupergraphError) as error:
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
        await self._swap(*fetched)
        self._poller = asyncio.create_task(self._poll())

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        if self._current is not None:
            await self._current.stack.aclose()
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
                if fetched is not None:
                    await self._swap(*fetched)
            except (RegistryUnavailable, SupergraphError) as error:
                log.warning("keeping the current supergraph: %s", error)

    async def _swap(self, sdl: str, etag: str) -> None:
        app = self.build(sdl, self.config)
        stack = AsyncExitStack()
        await stack.enter_async_context(app.router.lifespan_context(app))
        old, self._current = self._current, _Served(app, stack, etag)
        if old is None:
            return
        self.reloads += 1
        log.info("reloaded the supergraph (etag %s)", etag)
        if old.inflight:
            old.idle.clear()
            await old.idle.wait()
        await old.stack.aclose()
