"""POST /graphql as a plain ASGI app: the common request without Starlette's per-request objects.

Nearly every request the router serves is a POST of a JSON operation asking
for a JSON answer. For those, this app reads the headers once into a dict,
reads the body from `receive`, and sends the answer's head and body itself:
no `Request`, `Headers` lookups, `Response` or exception-handling wrapper
per request, which at the router's throughput were a large part of what one
answer shared by identical requests still costs.

Anything else goes to `fallback` (the Starlette endpoint, which serves every
case): other methods, a header name sent twice (Starlette reads the first
value, forwarding the last), a streamed answer (SSE, multipart), an Accept
that allows no JSON, a request CSRF prevention refuses. Everything this app
answers itself it answers as the fallback would, byte for byte.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from router.config import RouterConfig
from router.gateway import GraphQLResponse
from router.http.cors import csrf_problem
from router.http.forwarding import Forwarding
from router.http.negotiation import JSON, response_media_type
from router.http.params import (
    HttpProblem,
    check_content_type,
    check_declared_length,
    json_payload,
    requests_from_payload,
)
from router.http.streams import stream_kind
from router.operation import GraphQLRequest
from router.telemetry import REQUEST_ID_HEADER

Observed = Callable[[GraphQLRequest, Mapping[str, str]], Awaitable[tuple[GraphQLResponse, str]]]


class PostedGraphQL:
    def __init__(
        self,
        config: RouterConfig,
        forwarding: Forwarding,
        observed: Observed,
        fallback: ASGIApp,
    ) -> None:
        self.config = config
        self.forwarding = forwarding
        self.observed = observed
        self.fallback = fallback
        self.max_batch = config.max_batch_size if config.batching else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope["headers"]
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in raw}
        if scope["method"] != "POST" or len(headers) != len(raw):
            await self.fallback(scope, receive, send)
            return
        accept = headers.get("accept")
        media_type = response_media_type(accept)
        if (
            media_type is None
            or stream_kind(accept) is not None
            or csrf_problem(headers, self.config) is not None
        ):
            await self.fallback(scope, receive, send)
            return
        try:
            check_content_type(headers.get("content-type"))
            max_bytes = self.config.max_body_bytes
            check_declared_length(headers.get("content-length"), max_bytes)
            body = await _body(receive, max_bytes)
            received = requests_from_payload(json_payload(body), self.max_batch)
        except HttpProblem as problem:
            await _send_problem(send, problem, media_type)
            return
        client = scope.get("client")
        forwarded = self.forwarding.forwarded(headers, client[0] if client else None)
        if isinstance(received, list):
            # A batch: each operation is its own request (metrics, traces); one answer.
            answers = await asyncio.gather(*(self.observed(item, forwarded) for item in received))
            batch = orjson.dumps([answer.body for answer, _ in answers])
            await _send(send, 200, {}, batch, media_type)
            return
        response, request_id = await self.observed(received, forwarded)
        status = response.status_code
        if media_type == JSON and response.failure is not None:
            status = response.failure.legacy_status
        extra = dict(response.headers)
        extra[REQUEST_ID_HEADER] = request_id
        await _send(send, status, extra, response.encoded, media_type)


async def _body(receive: Receive, max_bytes: int) -> bytes:
    """The request body, refused (413) as soon as it passes `max_bytes`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise HttpProblem(
                413, f"The request body is over {max_bytes} bytes.", "PAYLOAD_TOO_LARGE"
            )
        if not message.get("more_body", False):
            if not chunks:
                return bytes(chunk)
            chunks.append(chunk)
            return b"".join(chunks)
        chunks.append(chunk)


async def _send_problem(send: Send, problem: HttpProblem, media_type: str) -> None:
    body = {"errors": [{"message": problem.message, "extensions": {"code": problem.code}}]}
    await _send(send, problem.status, {}, orjson.dumps(body), media_type)


async def _send(
    send: Send, status: int, headers: Mapping[str, str], body: bytes, media_type: str
) -> None:
    """What Starlette's `Response(body, status, headers, media_type)` sends."""
    head = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]
    names = {name for name, _ in head}
    if b"content-length" not in names:
        head.append((b"content-length", str(len(body)).encode()))
    if b"content-type" not in names:
        head.append((b"content-type", f"{media_type}; charset=utf-8".encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})
