"""A graphql-transport-ws client for tests, on top of aiohttp.

`subscribe` runs one subscription the way a browser client does (token in the
`connection_init` payload) and yields its `next` payloads. `open_socket` is the
raw socket under it, for tests about the handshake, `connection_init` and
close codes. Every wait has a timeout, so a silent server fails a test instead
of hanging it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

PROTOCOL = "graphql-transport-ws"
TIMEOUT_SECONDS = 5.0


class HandshakeRefused(Exception):
    """The server answered the WebSocket upgrade with an HTTP error."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the server refused the WebSocket upgrade with HTTP {status}")
        self.status = status


class SocketClosed(Exception):
    """The server closed the socket while a message was awaited."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"the server closed the socket with {code} {reason!r}")
        self.code = code
        self.reason = reason


class SubscriptionFailed(Exception):
    """The server ended the operation with an `error` message (it never started)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        messages = "; ".join(str(error.get("message")) for error in errors)
        super().__init__(f"the subscription failed: {messages}")
        self.errors = errors


class ProtocolViolation(Exception):
    """The server sent something graphql-transport-ws does not allow here."""


class GraphQLSocket:
    """One open socket, speaking graphql-transport-ws message by message."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def send(self, message: Mapping[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        """The next message from the server; pings are answered on the way."""
        while True:
            try:
                frame = await self.ws.receive(TIMEOUT_SECONDS)
            except TimeoutError:
                raise TimeoutError(f"no message from the server in {TIMEOUT_SECONDS} s") from None
            if frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                raise SocketClosed(self.ws.close_code, str(frame.extra or ""))
            # Binary frames break browser clients, so a server sending them fails the test.
            if frame.type is not aiohttp.WSMsgType.TEXT:
                raise ProtocolViolation(f"expected a text frame, got {frame.type.name}")
            message: dict[str, Any] = json.loads(frame.data)
            if message.get("type") == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def init(self, payload: Mapping[str, Any] | None = None) -> Any:
        """Sends `connection_init` and waits for the ack; returns the ack's payload."""
        await self.send({"type": "connection_init", "payload": dict(payload or {})})
        message = await self.receive()
        if message.get("type") != "connection_ack":
            raise ProtocolViolation(f"expected connection_ack, got {message}")
        return message.get("payload")

    async def closed(self) -> tuple[int | None, str]:
        """Waits for the server to close the socket: its close code and reason.

        Any message before the close fails, as does a server that stays silent.
        """
        try:
            message = await self.receive()
        except SocketClosed as closed:
            return closed.code, closed.reason
        raise ProtocolViolation(f"expected the server to close the socket, got {message}")


def auth_payload(token: str | None) -> dict[str, str]:
    """The `connection_init` payload carrying `token`, as browser clients send it."""
    return {"authorization": f"Bearer {token}"} if token else {}


@asynccontextmanager
async def open_socket(
    url: str,
    headers: Mapping[str, str] | None = None,
    protocols: tuple[str, ...] = (PROTOCOL,),
) -> AsyncIterator[GraphQLSocket]:
    """A socket to `url` (http:// or ws://) before `connection_init`."""
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(
                url, protocols=protocols, headers=dict(headers or {}), autoping=True
            )
        except aiohttp.WSServerHandshakeError as error:
            raise HandshakeRefused(error.status) from error
        async with ws:
            yield GraphQLSocket(ws)


class Payloads:
    """The `next` payloads of one operation; iteration ends at the server's `complete`."""

    def __init__(self, socket: GraphQLSocket, operation_id: str) -> None:
        self.socket = socket
        self.operation_id = operation_id
        self.finished = False

    def __aiter__(self) -> Payloads:
        return self

    async def __anext__(self) -> dict[str, Any]:
        if self.finished:
            raise StopAsyncIteration
        message = await self.socket.receive()
        if message.get("id") != self.operation_id:
            raise ProtocolViolation(f"expected a message of {self.operation_id}, got {message}")
        kind = message.get("type")
        if kind == "next":
            payload: dict[str, Any] = message["payload"]
            return payload
        self.finished = True
        if kind == "complete":
            raise StopAsyncIteration
        if kind == "error":
            raise SubscriptionFailed(message["payload"])
        raise ProtocolViolation(f"unexpected message {message}")

    async def complete(self) -> None:
        """Tells the server to stop the operation (the client's `complete`)."""
        if not self.finished:
            self.finished = True
            await self.socket.send({"id": self.operation_id, "type": "complete"})


@asynccontextmanager
async def subscribe(
    url: str,
    query: str,
    variables: Mapping[str, Any] | None = None,
    token: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[Payloads]:
    """Runs `query` over a new socket; leaving the block completes it and closes the socket.

    Raises `SocketClosed` when the server closes the socket (4403 for a bad
    token), `SubscriptionFailed` on an `error` message.
    """
    async with open_socket(url, headers) as socket:
        await socket.init(auth_payload(token))
        operation = {"query": query, "variables": dict(variables or {})}
        await socket.send({"id": "1", "type": "subscribe", "payload": operation})
        payloads = Payloads(socket, "1")
        try:
            yield payloads
        finally:
            if not socket.ws.closed:
                await payloads.complete()
