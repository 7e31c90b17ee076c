"""The router's HTTP app: /graphql (GET, POST, WebSocket), GraphiQL, /healthz and /readyz.

Subscriptions come over WebSocket (graphql-transport-ws), or as a POST that
accepts `text/event-stream` (SSE) or `multipart/mixed` (Apollo's multipart
subscriptions); `app.state.subscriptions` is their hub.

Browsers' cross-origin requests are governed by `router.http.cors` (CORS for
the configured origins, CSRF prevention before anything is read).

Status codes follow GraphQL over HTTP (Stage 2 draft): with
`application/graphql-response+json` every request error is a 4xx; with
`application/json` only requests that are not well-formed GraphQL-over-HTTP
requests are (400), and parse, validation, operation and variable errors come
back with 200. Mutations over GET are 405 with `Allow: POST` either way;
oversized bodies 413, non-JSON bodies 415, unacceptable Accept 406.
Executed operations are 200, partial data or not.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import orjson
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute, request_response
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from router.config import RouterConfig
from router.gateway import Gateway, GraphQLResponse, Planner, request_error
from router.http.cors import cors_middleware, csrf_problem
from router.http.forwarding import Forwarding
from router.http.graphiql import ASSETS_PREFIX, STATIC_DIR, graphiql_page
from router.http.negotiation import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    prefers_html,
    response_media_type,
)
from router.http.params import (
    HttpProblem,
    request_from_body,
    request_from_query,
    requests_from_body,
)
from router.http.posted import PostedGraphQL
from router.http.stopping import subscriptions_end_on_signals
from router.http.storefront import storefront_routes
from router.http.streams import StreamKind, stream_kind, stream_response
from router.http.websocket import GraphQLWebSocket, is_subscription
from router.operation import GraphQLRequest, RequestError
from router.operation.apq import PersistedQueries
from router.reload import LiveGateway, SupergraphFileWatcher
from router.rest import rest_routes_for
from router.subscriptions import SubscriptionHub
from router.supergraph import load_supergraph
from router.telemetry import (
    REQUEST_ID_HEADER,
    KafkaUsageSink,
    RouterMetrics,
    Telemetry,
    UsageLog,
    otlp_provider,
    router_tracer,
)

GRAPHQL_PATH = "/graphql"
STOP_WAIT_SECONDS = 5.0  # most a stop signal waits for subscribers' close frames to go out


def create_router_app(
    supergraph_sdl: str,
    config: RouterConfig | None = None,
    *,
    planner: Planner | None = None,
    supergraph_file: Path | None = None,
    telemetry: Telemetry | None = None,
    stop_signals: bool = False,
) -> Starlette:
    """The router serving `supergraph_sdl`; subgraph clients open in the app's lifespan.

    With `supergraph_file`, changes to that file are swapped in while serving
    (`router.reload`); `app.state.live.swap` does the same for other sources.
    With `stop_signals` (the router process), SIGTERM first ends subscriptions
    with 1001 (`router.http.stopping`).
    """
    config = config or RouterConfig()
    telemetry = telemetry or configured_telemetry(config)
    live = LiveGateway(
        Gateway(load_supergraph(supergraph_sdl), config, planner, telemetry),
        planner,
        config.drain_seconds,
    )
    persisted = (
        PersistedQueries.stored(
            config.apq_redis_url, config.apq_cache_size, config.apq_ttl_seconds, telemetry
        )
        if config.apq
        else None
    )
    subscriptions = SubscriptionHub(live)
    forwarding = Forwarding(config.trusted_proxies)
    if telemetry.metrics is not None:
        telemetry.metrics.count_active_subscriptions(lambda: subscriptions.active)
    watcher = None
    if supergraph_file is not None and config.supergraph_poll_seconds > 0:
        watcher = SupergraphFileWatcher(supergraph_file, live, config.supergraph_poll_seconds)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await live.start()
        if telemetry.usage is not None:
            await telemetry.usage.start()
        await subscriptions.start()
        if watcher is not None:
            watcher.start()
        try:
            if stop_signals:
                wait = min(STOP_WAIT_SECONDS, config.drain_seconds)
                async with subscriptions_end_on_signals(subscriptions, wait):
                    yield
            else:
                yield
        finally:
            if watcher is not None:
                await watcher.close()
            await subscriptions.close()
            await live.close()
            if telemetry.usage is not None:
                await telemetry.usage.close()
            if persisted is not None:
                await persisted.store.close()

    async def graphql(request: Request) -> Response:
        accept = request.headers.get("accept")
        if request.method in ("GET", "HEAD") and config.graphiql and prefers_html(accept):
            return HTMLResponse(graphiql_page(request.scope.get("root_path", ""), GRAPHQL_PATH))
        media_type = response_media_type(accept)
        csrf = csrf_problem(request.headers, config)
        if csrf is not None:
            return _problem(csrf, media_type or JSON)
        streamed = stream_kind(accept) if request.method in ("GET", "POST") else None
        if streamed is not None:
            return await _stream(request, streamed, media_type)
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
                max_batch = config.max_batch_size if config.batching else None
                received = await requests_from_body(request, config.max_body_bytes, max_batch)
            else:
                received = request_from_query(request.query_params)
        except HttpProblem as problem:
            return _problem(problem, media_type)
        headers = forwarding.headers(request)
        if isinstance(received, list):
            # A batch: each operation is its own request (metrics, traces); one answer.
            answers = await asyncio.gather(*(_observed(item, headers) for item in received))
            body = orjson.dumps([answer.body for answer, _ in answers])
            return Response(body, media_type=f"{media_type}; charset=utf-8")
        response, request_id = await _observed(received, headers)
        return _graphql_response(response, media_type, request_id)

    async def _stream(request: Request, streamed: StreamKind, media_type: str | None) -> Response:
        """SSE or multipart: a subscription's events, or one operation's answer as one event.

        graphql-sse's distinct-connections mode also sends the operation in a GET's
        query parameters (CSRF prevention applies to it as to any GET)."""
        try:
            if request.method == "GET":
                received = request_from_query(request.query_params)
            else:
                received = await request_from_body(request, config.max_body_bytes)
        except HttpProblem as problem:
            return _problem(problem, media_type or JSON)
        gateway = live.current
        subscription = is_subscription(gateway, received)
        headers = forwarding.headers(request)
        if subscription or media_type is None:
            return await stream_response(
                subscriptions, gateway, received, headers, streamed, subscription
            )
        response, request_id = await _observed(received, headers)
        return _graphql_response(response, media_type, request_id)

    async def _observed(
        graphql_request: GraphQLRequest, headers: Mapping[str, str]
    ) -> tuple[GraphQLResponse, str]:
        with telemetry.request(headers, graphql_request.operation_name) as seen:
            response = await _answer(graphql_request, headers)
            seen.outcome = _outcome(response)
        return response, seen.request_id

    async def _answer(
        graphql_request: GraphQLRequest, headers: Mapping[str, str]
    ) -> GraphQLResponse:
        gateway = live.acquire()  # as `live.serving()`, without an async generator per request
        try:
            if persisted is not None:
                # A trusted document's hash needs no APQ registration: its text is known.
                graphql_request = gateway.trusted.with_known_text(graphql_request)
                try:
                    graphql_request = await persisted.resolve(graphql_request)
                except RequestError as error:
                    return request_error(error)
            return await gateway.execute(graphql_request, headers)
        finally:
            live.release(gateway)

    async def metrics(_: Request) -> Response:
        if telemetry.metrics is None:
            return Response("metrics are off", 404)
        return Response(telemetry.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    async def websocket(socket: WebSocket) -> None:
        await GraphQLWebSocket(subscriptions, socket, forwarding).serve()

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        if live.current.ready:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "unavailable", "reason": "subgraph clients closed"}, 503)

    routes = [
        # POST /graphql's common case without Starlette's per-request objects;
        # every other request there goes on to `graphql`.
        Route(
            GRAPHQL_PATH,
            PostedGraphQL(config, forwarding, _observed, request_response(graphql)),
            methods=["GET", "POST"],
        ),
        WebSocketRoute(GRAPHQL_PATH, websocket),
        Route("/healthz", healthz),
        Route("/metrics", metrics),
        Route("/readyz", readyz),
        Mount(ASSETS_PREFIX, app=StaticFiles(directory=STATIC_DIR), name="graphiql"),
    ]
    routes += rest_routes_for(config, live, forwarding)  # REST over trusted documents
    if config.storefront_dir is not None:
        routes += storefront_routes(config.storefront_dir, config.trusted_documents_manifest)
    cors = cors_middleware(config)
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[cors] if cors else None)
    app.state.live = live
    app.state.telemetry = telemetry
    app.state.subscriptions = subscriptions
    return app


def configured_telemetry(config: RouterConfig) -> Telemetry:
    """Metrics (unless off) and traces to OTLP when an endpoint is configured."""
    provider = (
        otlp_provider(config.otlp_endpoint, config.service_name) if config.otlp_endpoint else None
    )
    metrics = RouterMetrics() if config.metrics else None
    usage = None
    if config.usage_kafka_url:
        sink = KafkaUsageSink(config.usage_kafka_url, config.usage_kafka_topic)
        usage = UsageLog(
            sink, config.usage_queue_size, metrics.usage_dropped.inc if metrics else None
        )
    return Telemetry(metrics, router_tracer(provider), usage)


def _outcome(response: GraphQLResponse) -> str:
    if response.failure is not None:
        return "request_error"
    if response.status_code >= 500:
        return "error"
    return "partial" if response.body.get("errors") else "ok"


def _graphql_response(
    response: GraphQLResponse, media_type: str, request_id: str | None = None
) -> Response:
    status = response.status_code
    if media_type == JSON and response.failure is not None:
        status = response.failure.legacy_status
    headers = dict(response.headers)
    if request_id is not None:
        headers[REQUEST_ID_HEADER] = request_id
    return Response(
        response.encoded,
        status_code=status,
        headers=headers,
        media_type=f"{media_type}; charset=utf-8",
    )


def _problem(problem: HttpProblem, media_type: str) -> Response:
    body = {"errors": [{"message": problem.message, "extensions": {"code": problem.code}}]}
    return Response(
        orjson.dumps(body),
        status_code=problem.status,
        media_type=f"{media_type}; charset=utf-8",
    )
