"""Operations answered as a stream over HTTP: GraphQL over SSE and multipart subscriptions.

- SSE (`Accept: text/event-stream`), the distinct-connections mode of the
  graphql-sse protocol: one POST (or GET, the operation in the URL) per
  operation, `next` events, then `complete`.
  An idle stream gets a comment line every heartbeat interval.
- Multipart (`multipart/mixed; subscriptionSpec="1.0"`), as Apollo Client
  speaks it: one part per response wrapped as `{"payload": ...}`, `{}` parts as
  heartbeats, and `--graphql--` at the end.

A subscription that ends for a reason (expired token, upstream gone, slow
client, shutdown) ends with an error event: a `next` carrying only `errors`
over SSE, a part with `"payload": null` and `errors` over multipart. Request
errors (validation, variables, a bad token) are answered as plain JSON
before any stream starts.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from starlette.responses import Response, StreamingResponse

from router.gateway import Gateway
from router.operation import GraphQLRequest, RequestError
from router.subscriptions import (
    HEARTBEAT,
    SubscriptionEnded,
    SubscriptionHub,
    SubscriptionOperation,
)
from router.subscriptions.endings import TooManyConnections

EVENT_STREAM = "text/event-stream"
MULTIPART = "multipart/mixed"
BOUNDARY = "graphql"


class StreamKind(enum.Enum):
    SSE = EVENT_STREAM
    MULTIPART = MULTIPART

    def media_type(self) -> str:
        if self is StreamKind.SSE:
            return f"{EVENT_STREAM}; charset=utf-8"
        return f'{MULTIPART}; boundary="{BOUNDARY}"; subscriptionSpec="1.0"'

    def event(self, body: Mapping[str, Any]) -> bytes:
        if self is StreamKind.SSE:
            return b"event: next\ndata: " + orjson.dumps(body) + b"\n\n"
        return _part({"payload": body})

    def ended(self, ending: SubscriptionEnded) -> bytes:
        if self is StreamKind.SSE:
            return self.event({"errors": [ending.error]})
        return _part({"payload": None, "errors": [ending.error]})

    def heartbeat(self) -> bytes:
        return b":\n\n" if self is StreamKind.SSE else _part({})

    def opening(self) -> bytes:
        """What starts the stream: multipart's first delimiter (each part then ends with one)."""
        return b"" if self is StreamKind.SSE else _DELIMITER

    def complete(self) -> bytes:
        if self is StreamKind.SSE:
            return b"event: complete\ndata: \n\n"
        return b"--\r\n"  # turns the delimiter after the last part into the closing one


# A part ends with the next delimiter, so a client can read it as soon as it
# arrives instead of waiting for the next part (as Apollo Router frames them).
_DELIMITER = f"\r\n--{BOUNDARY}".encode()
_PART_HEAD = b"\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"


def _part(body: Mapping[str, Any]) -> bytes:
    return _PART_HEAD + orjson.dumps(body) + _DELIMITER


def stream_kind(accept: str | None) -> StreamKind | None:
    """The stream the client asks for: SSE when it names text/event-stream, multipart when
    it names multipart/mixed with subscriptionSpec; None otherwise."""
    for item in (accept or "").split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if media.lower() == EVENT_STREAM:
            return StreamKind.SSE
        if media.lower() == MULTIPART and any(
            p.lower().startswith("subscriptionspec") for p in params
        ):
            return StreamKind.MULTIPART
    return None


async def stream_response(
    hub: SubscriptionHub,
    gateway: Gateway,
    request: GraphQLRequest,
    headers: Mapping[str, str],
    kind: StreamKind,
    subscription: bool,
) -> Response:
    if not subscription:
        response = await gateway.execute(request, headers)
        if response.failure is not None:
            return _json(response.body, response.status_code)
        return StreamingResponse(_single(kind, response.body), media_type=kind.media_type())
    try:
        operation = await hub.prepare(request, headers)
    except RequestError as error:
        return _json({"errors": error.errors}, error.failure.status)
    if hub.full:
        return _json(
            {"errors": [TooManyConnections(hub.config.max_subscription_connections).error]}, 503
        )
    return StreamingResponse(
        _events(hub, operation, headers, kind),
        media_type=kind.media_type(),
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


async def _single(kind: StreamKind, body: Mapping[str, Any]) -> AsyncIterator[bytes]:
    yield kind.opening() + kind.event(body)
    yield kind.complete()


async def _events(
    hub: SubscriptionHub,
    operation: SubscriptionOperation,
    headers: Mapping[str, str],
    kind: StreamKind,
) -> AsyncIterator[bytes]:
    yield kind.opening()
    try:
        with hub.connection():
            if kind is StreamKind.MULTIPART:
                yield kind.heartbeat()  # headers and a first part out at once
            responses = hub.responses(operation, headers, hub.config.subscription_heartbeat_seconds)
            try:
                async for response in responses:
                    yield kind.heartbeat() if response is HEARTBEAT else kind.event(response)
            finally:
                await responses.aclose()
    except SubscriptionEnded as ending:
        yield kind.ended(ending)
    yield kind.complete()


def _json(body: Mapping[str, Any], status: int) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json; charset=utf-8")
