"""One subscription at a subgraph, over graphql-transport-ws on the router's pooled session.

The caller's credentials go in the `connection_init` payload (as browser
clients send them) and in the upgrade headers. Payloads come out of `events()`
until the subgraph completes; anything else (an `error` message, a close, a
lost connection) raises `UpstreamClosed` with a reason safe to show clients.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import orjson

from router.subscriptions.endings import UpstreamClosed

log = logging.getLogger(__name__)

PROTOCOL = "graphql-transport-ws"
OPERATION_ID = "1"  # one operation per upstream socket
ACK_TIMEOUT_SECONDS = 10.0
HEARTBEAT_SECONDS = 20.0


def websocket_url(url: str) -> str:
    return "ws" + url.removeprefix("http") if url.startswith("http") else url


class UpstreamSubscription:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        service: str,
        url: str,
        operation: str,
        variables: Mapping[str, Any],
        headers: Mapping[str, str],
    ) -> None:
        self.session = session
        self.service = service
        self.url = websocket_url(url)
        self.operation = operation
        self.variables = dict(variables)
        self.headers = dict(headers)
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """The subgraph's `next` payloads; the socket closes when the iteration stops."""
        try:
            self._ws = await self.session.ws_connect(
                self.url, protocols=(PROTOCOL,), headers=self.headers, heartbeat=HEARTBEAT_SECONDS
            )
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("subscription to %s (%s) failed: %r", self.service, self.url, error)
            raise UpstreamClosed(f"The subscription to {self.service} could not open.") from error
        try:
            await self._start(self._ws)
            async for payload in self._payloads(self._ws):
                yield payload
        finally:
            await self.close()

    async def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is None or ws.closed:
            return
        # The socket is going anyway; a failed goodbye changes nothing.
        with contextlib.suppress(aiohttp.ClientError, ConnectionError):
            await ws.send_str(_message({"id": OPERATION_ID, "type": "complete"}))
        await ws.close()

    async def _start(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        payload = (
            {"authorization": self.headers["authorization"]}
            if "authorization" in self.headers
            else {}
        )
        await ws.send_str(_message({"type": "connection_init", "payload": payload}))
        while True:
            message = await self._receive(ws, ACK_TIMEOUT_SECONDS)
            if message.get("type") == "connection_ack":
                break
        subscribe = {"query": self.operation, "variables": self.variables}
        await ws.send_str(_message({"id": OPERATION_ID, "type": "subscribe", "payload": subscribe}))

    async def _payloads(self, ws: aiohttp.ClientWebSocketResponse) -> AsyncIterator[dict[str, Any]]:
        while True:
            message = await self._receive(ws, None)
            kind = message.get("type")
            if kind == "next" and isinstance(message.get("payload"), dict):
                yield message["payload"]
            elif kind == "complete":
                return
            elif kind == "error":
                errors = message.get("payload")
                yield {"data": None, "errors": errors if isinstance(errors, list) else []}
                return

    async def _receive(
        self, ws: aiohttp.ClientWebSocketResponse, wait: float | None
    ) -> dict[str, Any]:
        """The next protocol message; pings answered on the way."""
        while True:
            try:
                frame = await ws.receive(wait)
            except TimeoutError as error:
                raise UpstreamClosed(
                    f"{self.service} did not acknowledge the subscription."
                ) from error
            if frame.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                try:
                    message = orjson.loads(frame.data)
                except orjson.JSONDecodeError:
                    message = None
                if not isinstance(message, dict):
                    raise UpstreamClosed(f"{self.service} sent a message that is not JSON.")
                if message.get("type") == "ping":
                    await ws.send_str(_message({"type": "pong"}))
                    continue
                return message
            code = ws.close_code
            log.info("subscription socket to %s closed (%s)", self.service, code)
            if code == 4403:
                raise UpstreamClosed(f"{self.service} refused the credentials (4403).")
            raise UpstreamClosed(f"The subscription at {self.service} closed ({code}).")


def _message(message: Mapping[str, Any]) -> str:
    return orjson.dumps(message).decode()
