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

import asyncio
import enum
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import orjson
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

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
CLOSE_TIMEOUT_SECONDS = 10.0  # as long as a WebSocket's close frame gets

log = logging.getLogger(__name__)


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
    return SubscriptionStream(hub, operation, headers, kind)


async def _single(kind: StreamKind, body: Mapping[str, Any]) -> AsyncIterator[bytes]:
    yield kind.opening() + kind.event(body)
    yield kind.complete()


class SubscriptionStream(Response):
    """One subscription's events as a streamed response, cut off when the client stops reading.

    One task (the pump) writes the events. A client that falls
    `subscription_buffer_size` events behind, or a router that ends every
    connection, interrupts the pump even while it is stuck in a send that the
    client's full socket would never let finish: its subscription is left at
    once (the upstream stops when it had no other subscriber), and the error
    event and the end of the stream get CLOSE_TIMEOUT_SECONDS to be written.
    A client that still reads nothing then has its response ended without
    them: the server closes the connection, holding for it no more than what
    its socket had taken (as after a WebSocket's close frame times out).
    """

    def __init__(
        self,
        hub: SubscriptionHub,
        operation: SubscriptionOperation,
        headers: Mapping[str, str],
        kind: StreamKind,
    ) -> None:
        self.hub, self.operation, self.credentials, self.kind = hub, operation, headers, kind
        self.status_code = 200
        self.media_type = kind.media_type()
        self.background = None
        self.init_headers({"cache-control": "no-cache", "x-accel-buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        interrupted: asyncio.Future[SubscriptionEnded] = asyncio.get_running_loop().create_future()

        def interrupt(ending: SubscriptionEnded) -> None:
            if not interrupted.done():
                interrupted.set_result(ending)

        pump = asyncio.create_task(self._pump(send, interrupt))
        left = asyncio.create_task(_disconnected(receive))
        try:
            waiting: set[asyncio.Future[Any]] = {pump, left, interrupted}
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if left in done:
                await _stop(pump)  # nobody to write to
                return
            if pump in done:
                ending = pump.result()
            else:
                await _stop(pump)
                ending = interrupted.result()
            await self._finish(send, ending)
        finally:  # done by now, unless this was cancelled from outside (the server stops)
            pump.cancel()
            left.cancel()
            await asyncio.wait({pump, left})

    async def _pump(
        self, send: Send, interrupt: Callable[[SubscriptionEnded], None]
    ) -> SubscriptionEnded | None:
        """Writes the events until the subscription completes (None) or ends (the reason)."""
        kind, hub = self.kind, self.hub
        await _write(send, kind.opening())
        try:
            with hub.connection(interrupt):
                if kind is StreamKind.MULTIPART:
                    await _write(send, kind.heartbeat())  # headers and a first part out at once
                heartbeat = hub.config.subscription_heartbeat_seconds
                responses = hub.responses(self.operation, self.credentials, heartbeat, interrupt)
                try:
                    async for response in responses:
                        chunk = kind.heartbeat() if response is HEARTBEAT else kind.event(response)
                        await _write(send, chunk)
                finally:
                    await responses.aclose()
        except SubscriptionEnded as ending:
            return ending
        return None

    async def _finish(self, send: Send, ending: SubscriptionEnded | None) -> None:
        tail = (b"" if ending is None else self.kind.ended(ending)) + self.kind.complete()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await send({"type": "http.response.body", "body": tail, "more_body": False})
        except TimeoutError:
            log.warning(
                "dropping a %s subscriber that read nothing for %g s after its end",
                self.kind.name,
                CLOSE_TIMEOUT_SECONDS,
            )


async def _write(send: Send, chunk: bytes) -> None:
    if chunk:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _stop(task: asyncio.Task[Any]) -> None:
    """Cancel `task` and wait for it; an error it ended with is raised here."""
    if not task.done():
        task.cancel()
        await asyncio.wait({task})
    if not task.cancelled():
        task.result()


def _json(body: Mapping[str, Any], status: int) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json; charset=utf-8")
