"""POST /graphql of one JSON operation, served without Starlette routing or Strawberry's HTTP layer.

Nearly every request a subgraph serves is the router's (or another
subgraph's) POST of one JSON operation. For those, this middleware builds the
request context as the view does, hands the operation to the view's own
`execute_single` (so limits, masking and allowed operation types are the
view's) and sends the answer itself: none of the routing, the exception
wrappers, the content-type parsing through `email.message`, or the two
`Response` objects Strawberry's `run` builds around each answer.

Anything else goes on to `app`, the rest of the subgraph's stack, unchanged:
other paths and methods, any other content type, and bodies that are not one
operation with a string `query` (batches, malformed JSON, wrong types), which
are handed on with the body replayed. Whatever this answers itself it answers
as the view would, byte for byte (tests/subgraphs/platform/test_posted.py).
It sits inside the tracing and body-limit middleware, so both still apply.
"""

from __future__ import annotations

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL

from subgraphs.platform.view import SubgraphGraphQL, http_error_response, is_request_error

GRAPHQL_PATH = "/graphql"
JSON = "application/json"
# Protocols that would answer a POST with a stream, chosen by the Accept header.
HTTP_STREAMS = frozenset({GRAPHQL_SSE_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL})


class PostedGraphQL:
    def __init__(self, app: ASGIApp, view: SubgraphGraphQL) -> None:
        self.app = app
        self.view = view
        # The view must answer every POST with one JSON body for this to stand in for it.
        incremental = view.schema.config.enable_experimental_incremental_execution
        self.enabled = not incremental and HTTP_STREAMS.isdisjoint(view.protocols)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (self.enabled and _is_posted_json(scope)):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            # Before the body is read, as the view does: a bad token is a 401 whatever the body.
            context = self.view.http_context(request)
        except HTTPException as error:
            await http_error_response(error)(scope, receive, send)
            return
        body = await request.body()
        operation = _one_operation(body)
        if operation is None:
            await self.app(scope, _replay(body, receive), send)
            return
        try:
            result = await self.view.execute_single(
                request=request,
                request_adapter=self.view.request_adapter_class(request),
                sub_response=Response(),  # in the signature; execute_single leaves it be
                context=context,
                root_value=None,  # the view's root value (`SubgraphGraphQL` has none)
                request_data=operation,
            )
        except HTTPException as error:
            await http_error_response(error)(scope, receive, send)
            return
        answer = await self.view.process_result(request, result)
        status = 400 if is_request_error(answer) else 200
        await _send_json(send, status, self.view.encode_json(answer), context.request_id)


def _is_posted_json(scope: Scope) -> bool:
    """A POST to the view's path whose Content-Type is exactly application/json.

    `path` still holds a mount's `root_path` (`shopgraph dev` mounts each subgraph).
    """
    if scope["type"] != "http" or scope["method"] != "POST":
        return False
    if scope["path"] != scope.get("root_path", "") + GRAPHQL_PATH:
        return False
    content_type = next((v for k, v in scope["headers"] if k == b"content-type"), None)
    return content_type is not None and content_type.partition(b";")[0].strip() == JSON.encode()


def _one_operation(body: bytes) -> GraphQLRequestData | None:
    """The body as one operation, or None when it is anything else the view must judge."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    query, variables = data.get("query"), data.get("variables")
    operation_name, extensions = data.get("operationName"), data.get("extensions")
    if (
        not isinstance(query, str)
        or not _is_optional(variables, dict)
        or not _is_optional(extensions, dict)
        or not _is_optional(operation_name, str)
    ):
        return None
    return GraphQLRequestData(
        query=query,
        variables=variables,
        operation_name=operation_name,
        extensions=extensions,
        protocol="http",
    )


def _is_optional(value: object, kind: type) -> bool:
    return value is None or isinstance(value, kind)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the body already read once, then defers to the server's."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _send_json(send: Send, status: int, body: bytes, request_id: str) -> None:
    """What the view's `Response(body, media_type=JSON)` with its x-request-id sends."""
    headers = [
        (b"content-length", str(len(body)).encode()),
        (b"content-type", JSON.encode()),
        (b"x-request-id", request_id.encode("latin-1")),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
