"""The subgraph app factory: a Strawberry federation schema becomes a Starlette app.

Every subgraph serves `/graphql` (HTTP, and WebSocket for subscriptions),
`/healthz` (the process is up) and `/readyz` (its backends answer). Clients
are opened in the app's lifespan and closed there; nothing touches the
network or disk at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.federation import Schema

from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.auth.service_token import HEADER as SERVICE_HEADER
from subgraphs.platform.auth.service_token import is_service_call
from subgraphs.platform.context import RequestContext
from subgraphs.platform.limits import OperationLimits
from subgraphs.platform.posted import PostedGraphQL
from subgraphs.platform.resources import Platform, open_platform
from subgraphs.platform.settings import Settings
from subgraphs.platform.tracing import RequestTracing
from subgraphs.platform.view import SubgraphGraphQL, error_response

ServicesT = TypeVar("ServicesT")
LoadersT = TypeVar("LoadersT")
OwnSettingsT = TypeVar("OwnSettingsT")


@dataclass(frozen=True)
class SubgraphSpec(Generic[ServicesT, LoadersT, OwnSettingsT]):
    """What a subgraph tells the factory about itself.

    `open_services` takes the subgraph's own settings, or None to read them from the
    environment."""

    name: str
    schema: Schema
    open_services: Callable[[Platform, OwnSettingsT | None], AbstractAsyncContextManager[ServicesT]]
    make_loaders: Callable[[ServicesT], LoadersT]
    check_ready: Callable[[ServicesT], Awaitable[None]]
    routes: Sequence[BaseRoute] = field(default=())


class _Running(Generic[ServicesT]):
    """The services of a started app; absent before start-up and after shut-down."""

    def __init__(self) -> None:
        self.platform: Platform | None = None
        self.services: ServicesT | None = None

    def get(self) -> tuple[Platform, ServicesT]:
        if self.platform is None or self.services is None:
            raise RuntimeError("the subgraph app has not been started (lifespan)")
        return self.platform, self.services


PlatformOpener = Callable[[Settings], AbstractAsyncContextManager[Platform]]


def create_subgraph_app(
    spec: SubgraphSpec[ServicesT, LoadersT, OwnSettingsT],
    settings: Settings,
    platform_opener: PlatformOpener = open_platform,
    own: OwnSettingsT | None = None,
) -> Starlette:
    """The subgraph as an app; it opens its own platform unless given a shared one.

    `own` overrides the subgraph's own settings (tests, benches, `shopgraph dev`); by
    default they are read from the environment."""
    running: _Running[ServicesT] = _Running()
    limits = OperationLimits(
        max_tokens=settings.subgraph_max_tokens,
        max_depth=settings.subgraph_max_depth,
        max_aliases=settings.subgraph_max_aliases,
        max_query_nodes=settings.subgraph_max_query_nodes,
        max_cost=settings.subgraph_max_cost,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with (
            platform_opener(settings) as platform,
            spec.open_services(platform, own) as services,
        ):
            running.platform, running.services = platform, services
            app.state.services = services
            app.state.platform_tokens = platform.tokens
            try:
                yield
            finally:
                running.platform, running.services = None, None

    def context(
        request: Request | WebSocket, request_id: str, principal: Principal | None
    ) -> RequestContext[ServicesT, LoadersT]:
        platform, services = running.get()
        service = is_service_call(request.headers.get(SERVICE_HEADER), platform.service_token)
        loaders = spec.make_loaders(services)
        return RequestContext(
            request,
            request_id,
            principal,
            services,
            loaders,
            service,
            production=settings.env == "production",
            limits=limits,
        )

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "subgraph": spec.name})

    async def readyz(_: Request) -> JSONResponse:
        try:
            platform, services = running.get()
            await platform.cache.ping()
            await spec.check_ready(services)
        except Exception as error:  # noqa: BLE001 - any backend failure means "not ready"
            return JSONResponse({"status": "unavailable", "reason": type(error).__name__}, 503)
        return JSONResponse({"status": "ready", "subgraph": spec.name})

    graphql = SubgraphGraphQL(spec.schema, lambda: running.get()[0].tokens, context)
    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *spec.routes,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    # Innermost: the common POST skips routing but still passes the two below.
    app.add_middleware(PostedGraphQL, view=graphql)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestTracing, service=spec.name)
    return app


class BodyLimit:
    """Refuses bodies over `max_bytes` with 413 before anything reads them whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise _BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _BodyTooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, f"the request body is over {self.max_bytes} bytes", "PAYLOAD_TOO_LARGE"
        )
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass
