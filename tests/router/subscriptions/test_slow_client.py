"""A WebSocket subscriber that stops reading, over a real socket with small OS buffers.

The upstream subgraph floods 10 KB events. The client's socket has a 4 KB
receive buffer and its library stops reading after one queued frame, so the
router's sends stall. The router must close the client with 4008 (seen once
the client reads again), stop pulling from the upstream, and never hold more
than its bounded buffer plus what the sockets take.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

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
