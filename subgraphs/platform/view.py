"""The `/graphql` endpoint of a subgraph: Strawberry's ASGI view, made strict.

On top of Strawberry it: reads the caller from the bearer token (a bad token
is a 401, not an anonymous request), tags each request with an id, answers
request errors (unparsable, invalid, wrong variables) with 400 and a GraphQL
error body instead of plain text, and encodes with orjson.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema import BaseSchema

from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.auth.tokens import AccessTokens, InvalidToken
from subgraphs.platform.context import RequestContext

ContextFactory = Callable[[Request | WebSocket, str, Principal | None], RequestContext[Any, Any]]


def error_response(
    status: int, message: str, code: str, headers: dict[str, str] | None = None
) -> Response:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    return Response(body, status_code=status, media_type="application/json", headers=headers)


class _InvalidCredentials(HTTPException):
    def __init__(self, reason: str) -> None:
        super().__init__(401, reason)


_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


class SubgraphGraphQL(GraphQL[RequestContext[Any, Any], None]):
    def __init__(
        self, schema: BaseSchema, tokens: Callable[[], AccessTokens], context: ContextFactory
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self._tokens = tokens
        self._context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as error:
            headers = (
                {"www-authenticate": 'Bearer error="invalid_token"'}
                if error.status_code == 401
                else None
            )
            response = error_response(
                error.status_code,
                error.reason,
                _CODES.get(error.status_code, "BAD_REQUEST"),
                headers,
            )
        await response(scope, receive, send)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext[Any, Any]:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        if isinstance(response, Response):
            response.headers["x-request-id"] = request_id
        return self._context(request, request_id, self._principal(request))

    def _principal(self, request: Request | WebSocket) -> Principal | None:
        header = request.headers.get("authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _InvalidCredentials("the Authorization header must be 'Bearer <access token>'")
        try:
            return self._tokens().verify(token.strip())
        except InvalidToken as error:
            raise _InvalidCredentials("the access token is invalid or expired") from error

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if not sub_response.status_code and _is_request_error(response_data):
            response.status_code = 400
        return response

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def _is_request_error(data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> bool:
    """No data and no error with a path: the operation never started executing."""
    if isinstance(data, list) or data.get("data") is not None:
        return False
    errors: list[dict[str, object]] = list(data.get("errors") or [])  # type: ignore[arg-type]  # GraphQLFormattedError is a TypedDict
    return bool(errors) and all(not error.get("path") for error in errors)
