"""A subscriber that stops reading, over a real socket with small OS buffers, on every transport.

The upstream subgraph floods 10 KB events. The client's socket has a 4 KB
receive buffer and its library stops reading after a few KB, so the router's
sends stall. The router must end the client (WebSocket: close 4008; SSE and
multipart: a `SUBSCRIPTION_CLIENT_TOO_SLOW` error event and the end of the
stream, seen once the client reads again), stop pulling from the upstream,
and never hold more than its bounded buffer plus what the sockets take.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from router.http import streams
from tests.router.subscriptions.flood import Flood, flooded_router


def small_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


async def until(condition: Callable[[], bool], seconds: float = 20) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the hub's counts have no event to wait on
            await asyncio.sleep(0.02)


async def read_all(client: ClientConnection, received: list[str]) -> None:
    """Every message until the server's close, each a `next`."""
    while True:
        message = orjson.loads(await client.recv())
        assert message["type"] == "next"
        received.append(message["payload"]["data"]["flood"][:10])


async def test_a_client_that_stops_reading_is_closed_with_4008_and_the_flood_stops() -> None:
    flood = Flood()
    async with flooded_router(flood, subscription_buffer_size=16) as router:
        hub = router.hub
        async with connect(
            router.ws_url,
            sock=small_socket(router.port),
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            compression=None,  # 10 KB of "x" would deflate to nothing
            max_queue=1,
            ping_interval=None,
        ) as client:
            await client.send('{"type": "connection_init", "payload": {}}')
            assert orjson.loads(await client.recv()) == {"type": "connection_ack"}
            query = {"query": "subscription { flood }"}
            await client.send(
                orjson.dumps({"id": "1", "type": "subscribe", "payload": query}).decode()
            )
            # Started (the hub's count of 1 can come and go between two looks, on a quick machine):
            await until(lambda: flood.sent > 0)

            # The client reads nothing now. The router gives up on it by itself:
            await until(lambda: hub.active == 0 and hub.upstreams == 0)
            await asyncio.wait_for(flood.closed.wait(), 20)  # the upstream was closed too

            received: list[str] = []
            with pytest.raises(ConnectionClosed) as closed:
                await read_all(client, received)

    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4008,
        "The client read too slowly: 16 events were waiting.",
    )
    # What the sockets held is all the client got; the router buffered at most 16 more.
    assert 0 < len(received) < flood.sent < flood.most


SLOW = {
    "message": "The client read too slowly: 16 events were waiting.",
    "extensions": {"code": "SUBSCRIPTION_CLIENT_TOO_SLOW"},
}
SSE = "text/event-stream"
MULTIPART = 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"'


@asynccontextmanager
async def post_subscription(
    port: int, accept: str
) -> AsyncIterator[tuple[asyncio.StreamReader, bytes]]:
    """POSTs `subscription { flood }` over a small socket: the reader after the response's head."""
    # limit: the client's library pauses its reads once 8 KB wait in it.
    reader, writer = await asyncio.open_connection(sock=small_socket(port), limit=4096)
    try:
        body = orjson.dumps({"query": "subscription { flood }"})
        head = (
            "POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            f"accept: {accept}\r\ncontent-length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        yield reader, await reader.readuntil(b"\r\n\r\n")
    finally:
        writer.close()
        await writer.wait_closed()


async def chunked_body(reader: asyncio.StreamReader) -> bytes:
    """The rest of a chunked response body, up to its last chunk."""
    body = bytearray()
    while size := int(await reader.readuntil(b"\r\n"), 16):
        body += (await reader.readexactly(size + 2))[:-2]
    assert await reader.readexactly(2) == b"\r\n"
    return bytes(body)


def sse_messages(body: bytes) -> list[tuple[str, Any]]:
    """(event, data) of each SSE message; heartbeats (comments) left out."""
    messages = []
    for block in body.decode().split("\n\n"):
        if block and not block.startswith(":"):
            event, data = block.split("\n")
            messages.append((event.removeprefix("event: "), data.removeprefix("data: ")))
    return messages


def multipart_parts(body: bytes) -> list[Any]:
    """Each part's JSON, heartbeats (`{}`) left out, then the closing delimiter's tail."""
    *parts, tail = body.decode().split("\r\n--graphql")
    parsed = [orjson.loads(part.partition("\r\n\r\n")[2]) for part in parts if part]
    return [part for part in parsed if part != {}] + [tail]


@pytest.mark.parametrize("accept", [SSE, MULTIPART], ids=["sse", "multipart"])
async def test_a_stream_that_stops_reading_gets_an_error_event_and_the_flood_stops(
    accept: str,
) -> None:
    flood = Flood()
    async with (
        flooded_router(flood, subscription_buffer_size=16) as router,
        post_subscription(router.port, accept) as (reader, head),
    ):
        hub = router.hub
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"transfer-encoding: chunked\r\n" in head
        await until(lambda: flood.sent > 0)

        # The client reads nothing now. The router gives up on it by itself:
        await until(lambda: hub.active == 0 and hub.upstreams == 0 and hub.connections == 0)
        await asyncio.wait_for(flood.closed.wait(), 20)  # the upstream was closed too

        body = await asyncio.wait_for(chunked_body(reader), 20)

    if accept == SSE:
        *events, ended, complete = sse_messages(body)
        assert ended == ("next", orjson.dumps({"errors": [SLOW]}).decode())
        assert complete == ("complete", "")
        assert {event for event, _ in events} == {"next"}
        floods = [orjson.loads(data)["data"]["flood"] for _, data in events]
    else:
        *parts, ended, tail = multipart_parts(body)
        assert ended == {"payload": None, "errors": [SLOW]}
        assert tail == "--\r\n"
        floods = [part["payload"]["data"]["flood"] for part in parts]
    # What the sockets held is all the client got, in order; the router buffered at most 16 more.
    numbers = [int(flood_event.partition(":")[0]) for flood_event in floods]
    assert numbers == list(range(len(numbers)))
    assert 0 < len(numbers) < flood.sent < flood.most


async def test_a_stream_that_never_reads_again_is_dropped_without_its_end(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(streams, "CLOSE_TIMEOUT_SECONDS", 0.5)
    caplog.set_level(logging.WARNING, logger=streams.__name__)
    dropped = "dropping a SSE subscriber that read nothing for 0.5 s after its end"
    flood = Flood()
    async with (
        flooded_router(flood, subscription_buffer_size=16) as router,
        post_subscription(router.port, SSE) as (reader, _),
    ):
        await until(lambda: flood.sent > 0)
        await until(lambda: dropped in caplog.messages)  # the client still reads nothing

        # What the sockets held arrives, then the end of the connection: no error event,
        # no last chunk.
        with pytest.raises(asyncio.IncompleteReadError):
            await asyncio.wait_for(chunked_body(reader), 20)
        assert router.hub.connections == router.hub.upstreams == 0
    assert flood.closed.is_set()
    assert flood.sent < flood.most
