"""Subscriptions (and any operation) over WebSocket at /graphql: graphql-transport-ws, server side.

One socket carries many operations. The caller's credentials come from the
`connection_init` payload or the upgrade's Authorization header; a token that
does not verify closes the socket with 4403, and so does one that expires
while the socket is open (the client reconnects with a fresh token). The
router pings every heartbeat interval; a subscriber whose buffer fills up is
closed with 4008. Queries and mutations sent over the socket get one `next`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from router.gateway import Gateway
from router.http.forwarding import Forwarding
from router.http.params import HttpProblem, request_from_payload
from router.operation import GraphQLRequest, RequestError
from router.subscriptions import (
    HEARTBEAT,
    CloseCode,
    SubscriptionEnded,
    SubscriptionHub,
    TokenExpired,
)
from router.subscriptions.credentials import token_expiry, websocket_headers

log = logging.getLogger(__name__)

PROTOCOL = "graphql-transport-ws"
CLOSE_TIMEOUT_SECONDS = 10.0


class _Closed(Exception):
    """The socket is done: close it with this code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class GraphQLWebSocket:
    def __init__(self, hub: SubscriptionHub, websocket: WebSocket, forwarding: Forwarding) -> None:
        self.hub, self.ws, self.forwarding = hub, websocket, forwarding
        self.headers: dict[str, str] = {}
        self.operations: dict[str, asyncio.Task[None]] = {}
        self._send_lock = asyncio.Lock()
        self._closed: asyncio.Future[_Closed] = asyncio.get_running_loop().create_future()

    async def serve(self) -> None:
        if PROTOCOL not in self.ws.scope.get("subprotocols", []):
            await self.ws.accept()
            await self.ws.close(CloseCode.SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable")
            return
        try:
            with self.hub.connection(self._end):
                await self.ws.accept(PROTOCOL)
                await self._serve()
        except SubscriptionEnded as ending:  # too many connections, shutting down
            await self.ws.accept(PROTOCOL)
            await self._close(_Closed(ending.close_code or CloseCode.BAD_REQUEST, ending.message))

    async def _serve(self) -> None:
        reader = asyncio.create_task(self._read())
        try:
            waiting: set[asyncio.Future[Any]] = {reader, self._closed}
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            closing: _Closed | None = None
            if self._closed in done:
                closing = self._closed.result()
            elif isinstance(error := reader.exception(), _Closed):
                closing = error
            elif error is not None and not isinstance(error, WebSocketDisconnect):
                log.error("graphql-transport-ws socket failed", exc_info=error)
                closing = _Closed(1011, "Internal error")
            # Operations first: one may be stuck sending to a client that stopped reading.
            await self._stop(reader)
            if closing is not None:
                await self._close(closing)
        finally:
            await self._stop(reader)

    async def _stop(self, reader: asyncio.Task[None]) -> None:
        reader.cancel()
        for task in self.operations.values():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(reader, *self.operations.values(), return_exceptions=True)

    def _end(self, ending: SubscriptionEnded) -> None:
        self.close_later(ending.close_code or CloseCode.GOING_AWAY, ending.message)

    def close_later(self, code: int, reason: str) -> None:
        if not self._closed.done():
            self._closed.set_result(_Closed(code, reason))

    async def _close(self, closed: _Closed) -> None:
        """Send the close frame; a client that never reads again gets the connection
        dropped after CLOSE_TIMEOUT_SECONDS instead (the server cannot write to it)."""
        if self.ws.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect, TimeoutError):
                async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                    await self.ws.close(closed.code, closed.reason)

    async def _read(self) -> None:
        try:
            await self._init()
        except TimeoutError:
            raise _Closed(CloseCode.INIT_TIMEOUT, "Connection initialisation timeout") from None
        heartbeat = asyncio.create_task(self._heartbeat())
        expiry = asyncio.create_task(self._expire())
        try:
            while True:
                message = await self._receive()
                kind = message.get("type")
                if kind == "ping":
                    await self.send({"type": "pong"})
                elif kind == "subscribe":
                    self._subscribe(message)
                elif kind == "complete":
                    task = self.operations.pop(str(message.get("id")), None)
                    if task is not None:
                        task.cancel()
                elif kind == "connection_init":
                    raise _Closed(
                        CloseCode.TOO_MANY_INITIALISATION_REQUESTS,
                        "Too many initialisation requests",
                    )
                elif kind != "pong":
                    raise _Closed(CloseCode.BAD_REQUEST, f"Unexpected message type {kind!r}")
        except WebSocketDisconnect:
            return
        finally:
            heartbeat.cancel()
            expiry.cancel()

    async def _init(self) -> None:
        async with asyncio.timeout(self.hub.config.subscription_init_timeout_seconds):
            message = await self._receive()
        if message.get("type") != "connection_init":
            raise _Closed(CloseCode.UNAUTHORIZED, "Unauthorized")
        payload = message.get("payload")
        self.headers = websocket_headers(
            self.forwarding.headers(self.ws), payload if isinstance(payload, dict) else None
        )
        try:
            await self.hub.live.current.authorization.authenticate(self.headers)
        except RequestError as error:
            raise _Closed(CloseCode.FORBIDDEN, "Forbidden") from error
        expires_at = token_expiry(self.headers)
        if expires_at is not None and expires_at <= time.time():
            raise _Closed(CloseCode.FORBIDDEN, "Forbidden: the access token has expired")
        await self.send({"type": "connection_ack"})

    async def _receive(self) -> dict[str, Any]:
        received = await self.ws.receive()
        if received["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(received.get("code", 1000), received.get("reason"))
        text = received.get("text")
        if text is None:  # graphql-transport-ws messages are text frames
            raise _Closed(CloseCode.BAD_REQUEST, "Invalid message received: not a text frame")
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            message = None
        if not isinstance(message, dict):
            raise _Closed(CloseCode.BAD_REQUEST, "Invalid message received")
        return message

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.hub.config.subscription_heartbeat_seconds)
            await self.send({"type": "ping"})

    async def _expire(self) -> None:
        expires_at = token_expiry(self.headers)
        if expires_at is None:
            return
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        self.close_later(CloseCode.FORBIDDEN, "Forbidden: the access token has expired")

    def _subscribe(self, message: Mapping[str, Any]) -> None:
        operation_id, payload = message.get("id"), message.get("payload")
        if not isinstance(operation_id, str) or not isinstance(payload, dict):
            raise _Closed(CloseCode.BAD_REQUEST, "Invalid subscribe message")
        if operation_id in self.operations:
            raise _Closed(
                CloseCode.SUBSCRIBER_EXISTS, f"Subscriber for {operation_id} already exists"
            )
        try:
            request = request_from_payload(payload)
        except HttpProblem as problem:
            error = {"message": problem.message, "extensions": {"code": problem.code}}
            self.operations[operation_id] = asyncio.create_task(self._fail(operation_id, [error]))
            return
        self.operations[operation_id] = asyncio.create_task(self._operate(operation_id, request))

    async def _fail(self, operation_id: str, errors: list[dict[str, Any]]) -> None:
        await self.send({"id": operation_id, "type": "error", "payload": errors})
        self.operations.pop(operation_id, None)

    async def _operate(self, operation_id: str, request: GraphQLRequest) -> None:
        try:
            await self._run(operation_id, request)
        except RequestError as error:
            await self._fail(operation_id, list(error.errors))
            return
        except SubscriptionEnded as ending:
            if ending.close_code is not None and not isinstance(ending, TokenExpired):
                self.close_later(ending.close_code, ending.message)
            elif isinstance(ending, TokenExpired):
                self.close_later(CloseCode.FORBIDDEN, "Forbidden: the access token has expired")
            else:
                await self._fail(operation_id, [ending.error])
            return
        except WebSocketDisconnect:
            return
        if self.operations.pop(operation_id, None) is not None:
            await self.send({"id": operation_id, "type": "complete"})

    async def _run(self, operation_id: str, request: GraphQLRequest) -> None:
        if not is_subscription(self.hub.live.current, request):
            async with self.hub.live.serving() as gateway:
                answer = await gateway.execute(request, self.headers)
            await self.send({"id": operation_id, "type": "next", "payload": answer.body})
            return
        operation = await self.hub.prepare(request, self.headers)
        responses = self.hub.responses(operation, self.headers, overflowed=self._end)
        try:
            async for response in responses:
                if response is not HEARTBEAT:
                    await self.send({"id": operation_id, "type": "next", "payload": response})
        finally:
            await responses.aclose()

    async def send(self, message: Mapping[str, Any]) -> None:
        async with self._send_lock:
            if self.ws.application_state is not WebSocketState.CONNECTED:
                raise WebSocketDisconnect(1006)
            await self.ws.send_text(orjson.dumps(message).decode())


def is_subscription(gateway: Gateway, request: GraphQLRequest) -> bool:
    """Whether `request` selects a subscription, judged on the trusted document it names
    (not on text sent beside the id); True for a request in error, so that the
    subscription path, which reports errors per transport, answers it."""
    try:
        query = gateway.trusted.resolve(request).query
        return (
            gateway.documents.prepare(query).select(request.operation_name).kind == "subscription"
        )
    except RequestError:
        return True  # the subscription path reports the error
