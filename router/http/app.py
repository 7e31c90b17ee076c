"""The router's HTTP app: /graphql (GET, POST, WebSocket), GraphiQL, /healthz and /readyz.

Subscriptions come over WebSocket (graphql-transport-ws), or as a POST that
accepts `text/event-stream` (SSE) or `multipart/mixed` (Apollo's multipart
subscriptions); `app.state.subscriptions` is their hub.

Status codes follow GraphQL over HTTP (Stage 2 draft): with
`application/graphql-response+json` every request error is a 4xx; with
`application/json` only requests that are not well-formed GraphQL-over-HTTP
requests are (400), and parse, validation, operation and variable errors come
back with 200. Mutations over GET are 405 with `Allow: POST` either way;
oversized bodies 413, non-JSON bodies 415, unacceptable Accept 406.
Executed operations are 200, partial data or not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from router.config import RouterConfig
from router.gateway import Gateway, GraphQLResponse, Planner
from router.http.graphiql import ASSETS_PREFIX, STATIC_DIR, graphiql_page
from router.http.negotiation import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    prefers_html,
    response_media_type,
)
from router.http.params import HttpProblem, request_from_body, request_from_query
from router.http.streams import stream_kind, stream_response
from router.http.websocket import GraphQLWebSocket, is_subscription
from router.subscriptions import SubscriptionHub
from router.supergraph import load_supergraph

GRAPHQL_PATH = "/graphql"


def create_router_app(
    supergraph_sdl: str, config: RouterConfig | None = None, *, planner: Planner | None = None
) -> Starlette:
    """The router serving `supergraph_sdl`; subgraph clients open in the app's lifespan."""
    config = config or RouterConfig()
    gateway = Gateway(load_supergraph(supergraph_sdl), config, planner)
    subscriptions = SubscriptionHub(gateway)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        await subscriptions.start()
        app.state.gateway = gateway
        try:
            yield
        finally:
            await subscriptions.close()
            await gateway.close()

    async def graphql(request: Request) -> Response:
        accept = request.headers.get("accept")
        if request.method in ("GET", "HEAD") and config.graphiql and prefers_html(accept):
            return HTMLResponse(graphiql_page(request.scope.get("root_path", ""), GRAPHQL_PATH))
        media_type = response_media_type(accept)
        streamed = stream_kind(accept) if request.method == "POST" else None
        if streamed is not None:
            try:
                graphql_request = await request_from_body(request, config.max_body_bytes)
            except HttpProblem as problem:
                return _problem(problem, media_type or JSON)
            subscription = is_subscription(gateway, graphql_request)
            if subscription or media_type is None:
                return await stream_response(
                    subscriptions, gateway, graphql_request, request.headers, streamed, subscription
                )
            return _graphql_response(
                await gateway.execute(graphql_request, request.headers), media_type
            )
        if media_type is None:
            return _problem(
                HttpProblem(
                    406,
                    f"Accept must allow {GRAPHQL_RESPONSE_JSON} or {JSON}.",
                    "NOT_ACCEPTABLE",
                ),
                JSON,
            )
        try:
            if request.method == "POST":
                graphql_request = await request_from_body(request, config.max_body_bytes)
            else:
                graphql_request = request_from_query(request.query_params)
        except HttpProblem as problem:
            return _problem(problem, media_type)
        response = await gateway.execute(graphql_request, request.headers)
        return _graphql_response(response, media_type)

    async def websocket(socket: WebSocket) -> None:
        await GraphQLWebSocket(subscriptions, gateway, socket).serve()

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        if gateway.ready:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "unavailable", "reason": "subgraph clients closed"}, 503)

    routes = [
        Route(GRAPHQL_PATH, graphql, methods=["GET", "POST"]),
        WebSocketRoute(GRAPHQL_PATH, websocket),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Mount(ASSETS_PREFIX, app=StaticFiles(directory=STATIC_DIR), name="graphiql"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.gateway = gateway
    app.state.subscriptions = subscriptions
    return app


def _graphql_response(response: GraphQLResponse, media_type: str) -> Response:
    status = response.status_code
    if media_type == JSON and response.failure is not None:
        status = response.failure.legacy_status
    return Response(
        orjson.dumps(response.body),
        status_code=status,
        headers=dict(response.headers),
        media_type=f"{media_type}; charset=utf-8",
    )


def _problem(problem: HttpProblem, media_type: str) -> Response:
    body = {"errors": [{"message": problem.message, "extensions": {"code": problem.code}}]}
    return Response(
        orjson.dumps(body),
        status_code=problem.status,
        media_type=f"{media_type}; charset=utf-8",
    )
