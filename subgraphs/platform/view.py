"""The `/graphql` endpoint of a subgraph: Strawberry's ASGI view, made strict.

Over HTTP it: reads the caller from the bearer token (a bad token is a 401,
not an anonymous request; a token verified before is taken again while it
would still pass, `auth.verified`), tags each request with an id, answers request
errors (unparsable, invalid, wrong variables) with 400 and a GraphQL error
body instead of plain text, and encodes with orjson.

Over WebSocket it serves subscriptions with graphql-transport-ws only (the
legacy graphql-ws protocol is closed with 4406). The caller is read at
`connection_init`, from the payload's `authorization` (browsers cannot set
headers on a WebSocket) or else from the upgrade's Authorization header; a
bad token closes the socket with 4403 rather than leaving it anonymous, and so
does the token expiring while the socket is open: its subscriptions end and
no new one starts on it (the client reconnects with a fresh token). A
handshake whose Origin names another host than its Host is refused with 403:
browsers send cookies with WebSockets but apply no CORS to them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.auth.tokens import AccessTokens, InvalidToken
from subgraphs.platform.auth.verified import VerifiedTokens
from subgraphs.platform.context import RequestContext
from subgraphs.platform.tracing import REQUEST_ID_HEADER, current_request_id, request_id_of

ContextFactory = Callable[[Request | WebSocket, str, Principal | None], RequestContext[Any, Any]]


def error_response(
    status: int, message: str, code: str, headers: dict[str, str] | None = None
) -> Response:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    return Response(body, status_code=status, media_type="application/json", headers=headers)


_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def http_error_response(error: HTTPException) -> Response:
    """A request Strawberry refused (`HTTPException`), as a GraphQL error body."""
    headers = (
        {"www-authenticate": 'Bearer error="invalid_token"'} if error.status_code == 401 else None
    )
    code = _CODES.get(error.status_code, "BAD_REQUEST")
    return error_response(error.status_code, error.reason, code, headers)


def _request_id(request: Request | WebSocket) -> str:
    # `RequestTracing` chose the id of an HTTP request, which logs carry: errors and
    # headers carry the same one. A WebSocket (or the view called alone) has none yet.
    return current_request_id() or request_id_of(request.headers.get(REQUEST_ID_HEADER))


class _InvalidCredentials(HTTPException):
    def __init__(self, reason: str) -> None:
        super().__init__(401, reason)


class _TextFrames(ASGIWebSocketAdapter):
    """Sends graphql-transport-ws messages as text frames, as the protocol requires.

    Strawberry sends the bytes `encode_json` returns (orjson) as binary frames,
    which the browser `graphql-ws` client cannot parse.
    """

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(self.view.encode_json_string(message))
        except (WebSocketDisconnect, RuntimeError) as error:
            # RuntimeError: the socket was closed from our side (an expired token).
            raise WebSocketDisconnected from error


class SubgraphGraphQL(GraphQL[RequestContext[Any, Any], None]):
    websocket_adapter_class = _TextFrames

    def __init__(
        self, schema: BaseSchema, tokens: Callable[[], AccessTokens], context: ContextFactory
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            # One protocol to secure and test; the legacy graphql-ws is unmaintained.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self._tokens = tokens
        self._context = context
        self._verified_tokens = VerifiedTokens()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            try:
                await super().__call__(scope, receive, send)
            finally:
                expiry = scope.get("state", {}).get(_EXPIRY)
                if expiry is not None:
                    expiry.cancel()
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as error:
            response = http_error_response(error)
        await response(scope, receive, send)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext[Any, Any]:
        if isinstance(request, WebSocket):
            # A WebSocket's caller is read at connection_init (`on_ws_connect`): a bad
            # token must close the socket with 4403, and this runs before that message.
            return self._context(request, _request_id(request), None)
        context = self.http_context(request)
        if isinstance(response, Response):
            response.headers["x-request-id"] = context.request_id
        return context

    def http_context(self, request: Request) -> RequestContext[Any, Any]:
        """The context of an HTTP request; a bad bearer token raises a 401 `HTTPException`."""
        principal = self._principal(request.headers.get("authorization"))
        return self._context(request, _request_id(request), principal)

    async def on_ws_connect(self, context: RequestContext[Any, Any]) -> UnsetType:
        """Sets the connection's principal; every operation on the socket shares this context."""
        params = context.connection_params or {}
        credentials = (
            params.get("authorization")
            or params.get("Authorization")
            or context.request.headers.get("authorization")
        )
        if credentials is not None and not isinstance(credentials, str):
            raise ConnectionRejectionError
        try:
            verified = self._verified(credentials)
        except _InvalidCredentials as error:
            raise ConnectionRejectionError from error  # Strawberry closes with 4403 Forbidden
        if verified is not None:
            context.principal, context.principal_expires_at = verified
            if isinstance(context.request, WebSocket):
                _close_at_expiry(context, context.request, verified[1])
        return UnsetType()  # the singleton UNSET, typed: acknowledge without a payload

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        """No page on another origin may open a socket that carries the user's cookies.

        Strawberry asks only about foreign origins: it accepts handshakes without
        Origin (not a browser, so no ambient cookies), with Origin on the request's
        own host and port, or with `Sec-Fetch-Site: same-origin` (which pages
        cannot forge) before calling this. Its default refuses the rest too (empty
        `allowed_origins`); saying so here keeps that from resting on a default.
        """
        return False

    def _principal(self, header: str | None) -> Principal | None:
        verified = self._verified(header)
        return None if verified is None else verified[0]

    def _verified(self, header: str | None) -> tuple[Principal, datetime] | None:
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _InvalidCredentials("the Authorization header must be 'Bearer <access token>'")
        try:
            return self._verified_tokens.verify_until(self._tokens(), token.strip())
        except InvalidToken as error:
            raise _InvalidCredentials("the access token is invalid or expired") from error

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if not sub_response.status_code and is_request_error(response_data):
            response.status_code = 400
        return response

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        # Strawberry reads fields of whatever a JSON body decodes to: a body of `"x"`,
        # `3` or `null` failed with a 500. (The body is read once; Starlette keeps it.)
        if request.method == "POST" and "application/json" in (request.content_type or ""):
            data = self.parse_json(await request.get_body())
            if not isinstance(data, (dict, list)):
                raise HTTPException(400, "The request body must be a JSON object.")
        return await super().parse_http_body(request)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


_EXPIRY = "shopgraph.token_expiry"  # the socket's close timer, in its ASGI scope state
EXPIRED_CLOSE_CODE = 4403


def _close_at_expiry(
    context: RequestContext[Any, Any], websocket: WebSocket, expires_at: datetime
) -> None:
    """Closes the socket with 4403 when the token expires; its operations end with it."""

    async def close() -> None:
        context.principal = None
        with contextlib.suppress(RuntimeError):  # already closing
            await websocket.close(EXPIRED_CLOSE_CODE, "Forbidden: the access token has expired")

    state = websocket.scope.setdefault("state", {})

    def expire() -> None:
        state[_EXPIRY] = asyncio.ensure_future(close())

    delay = max(0.0, (expires_at - datetime.now(UTC)).total_seconds())
    state[_EXPIRY] = asyncio.get_running_loop().call_later(delay, expire)


def is_request_error(data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> bool:
    """No data and no error with a path: the operation never started executing."""
    if isinstance(data, list) or data.get("data") is not None:
        return False
    errors: list[dict[str, object]] = list(data.get("errors") or [])  # type: ignore[arg-type]  # GraphQLFormattedError is a TypedDict
    return bool(errors) and all(not error.get("path") for error in errors)
