"""Keeping subscription connections healthy: the upstream dying, heartbeats, the connection
limit, and a client too slow to read.

The tests over sockets run a second router in front of `shopgraph dev`'s subgraphs
(`second_router`), its commerce traffic through a TCP proxy the test can cut (SSE and
multipart as well as WebSocket); the slow client is a `Broadcast` with a subscriber that
never reads (over real sockets: test_slow_client.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from typing import Any

import httpx
import orjson
import pytest

from router.subscriptions.buffer import ClientBuffer
from router.subscriptions.endings import SlowClient
from router.subscriptions.fanout import Broadcast
from tests.router.subscriptions.conftest import STATUS, DevShop, second_router, status_event
from tests.router.subscriptions.test_transports import MULTIPART, SSE, sse_events
from tests.websocket import SocketClosed, SubscriptionFailed, auth_payload, open_socket, subscribe


async def test_the_client_gets_an_error_when_the_upstream_dies(shop: DevShop) -> None:
    ada = await shop.register("ada")
    order_id, product = await shop.place_order(ada)
    async with (
        second_router(shop) as router,
        subscribe(router.ws_url, STATUS, {"id": order_id}, token=ada.token) as payloads,
    ):
        assert await anext(payloads) == status_event("PENDING_PAYMENT", ada, product)

        await router.proxy.cut()

        with pytest.raises(SubscriptionFailed) as failed:
            await anext(payloads)
    [error] = failed.value.errors
    assert error["extensions"] == {"code": "SUBSCRIPTION_UPSTREAM_CLOSED"}


def multipart_bodies(text: str) -> list[Any]:
    """The JSON of each part, heartbeats (`{}`) included, in order."""
    return [
        orjson.loads(part.partition("\r\n\r\n")[2])
        for part in text.split("\r\n--graphql")
        if part.strip() and part != "--\r\n"
    ]


@pytest.mark.parametrize("accept", [SSE, MULTIPART], ids=["sse", "multipart"])
async def test_a_stream_ends_with_an_error_event_when_the_upstream_dies(
    accept: str, shop: DevShop
) -> None:
    ada = await shop.register("ada")
    order_id, product = await shop.place_order(ada)
    body = {"query": STATUS, "variables": {"id": order_id}}
    async with (
        second_router(shop) as router,
        httpx.AsyncClient(base_url=router.url, timeout=10) as http,
        http.stream(
            "POST", "/graphql", json=body, headers={**ada.headers, "accept": accept}
        ) as response,
    ):
        chunks, text = response.aiter_text(), ""
        while "PENDING_PAYMENT" not in text:
            text += await anext(chunks)

        await router.proxy.cut()

        async for chunk in chunks:  # up to the end of the stream
            text += chunk
    pending = status_event("PENDING_PAYMENT", ada, product)
    if accept == SSE:
        [(_, first), (_, ended), complete] = sse_events(text)
        assert orjson.loads(first) == pending
        [error] = orjson.loads(ended)["errors"]
        assert complete == ("complete", "")
    else:
        [first, ending] = [part for part in multipart_bodies(text) if part != {}]
        assert first == {"payload": pending}
        assert ending["payload"] is None
        [error] = ending["errors"]
        assert text.endswith("\r\n--graphql--\r\n")
    assert error["extensions"] == {"code": "SUBSCRIPTION_UPSTREAM_CLOSED"}


@pytest.mark.parametrize("accept", [SSE, MULTIPART], ids=["sse", "multipart"])
async def test_the_router_sends_heartbeats_on_an_idle_stream(accept: str, shop: DevShop) -> None:
    ada = await shop.register("ada")
    order_id, product = await shop.place_order(ada)
    # After the first event: SSE, a comment line; multipart, an empty part.
    part = "\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{}"
    heartbeat = "\n\n:\n\n" if accept == SSE else part + "\r\n--graphql"
    body = {"query": STATUS, "variables": {"id": order_id}}
    async with (
        second_router(shop, subscription_heartbeat_seconds=0.1) as router,
        httpx.AsyncClient(base_url=router.url, timeout=10) as http,
        http.stream(
            "POST", "/graphql", json=body, headers={**ada.headers, "accept": accept}
        ) as response,
    ):
        chunks, text = response.aiter_text(), ""
        async with asyncio.timeout(10):
            while heartbeat not in text.partition("PENDING_PAYMENT")[2]:
                text += await anext(chunks)
    pending = orjson.dumps(status_event("PENDING_PAYMENT", ada, product)).decode()
    _, event, after = text.partition(pending)
    assert event == pending
    assert heartbeat in after


async def test_the_router_pings_an_idle_socket(shop: DevShop) -> None:
    ada = await shop.register("ada")
    async with (
        second_router(shop, subscription_heartbeat_seconds=0.1) as router,
        open_socket(router.ws_url) as socket,
    ):
        await socket.init(auth_payload(ada.token))
        frame = await socket.ws.receive(5)
    assert orjson.loads(frame.data) == {"type": "ping"}


async def test_connections_past_the_limit_are_refused(shop: DevShop) -> None:
    ada = await shop.register("ada")
    order_id, _ = await shop.place_order(ada)
    async with (
        second_router(shop, max_subscription_connections=1) as router,
        open_socket(router.ws_url) as first,
        httpx.AsyncClient(base_url=router.url, timeout=10) as http,
    ):
        await first.init(auth_payload(ada.token))
        async with open_socket(router.ws_url) as second:
            with pytest.raises(SocketClosed) as closed:
                await second.init(auth_payload(ada.token))
        refused = await http.post(
            "/graphql",
            json={"query": STATUS, "variables": {"id": order_id}},
            headers={**ada.headers, "accept": "text/event-stream"},
        )
    assert closed.value.code == 1013
    assert refused.status_code == 503
    [error] = refused.json()["errors"]
    assert error["extensions"] == {"code": "TOO_MANY_SUBSCRIPTION_CONNECTIONS"}


async def test_a_client_that_stops_reading_is_ended_and_holds_at_most_its_buffer() -> None:
    delivered = asyncio.Event()
    sizes: list[int] = []
    slow, reader = ClientBuffer(limit=3), ClientBuffer(limit=100)

    async def events() -> AsyncIterator[dict[str, Any]]:
        for number in range(10):
            yield {"number": number}

    async def respond(payload: dict[str, Any]) -> dict[str, Any]:
        sizes.append(len(slow._queue))
        return payload

    def idle(_: Hashable) -> None:
        delivered.set()

    broadcast = Broadcast("key", events, respond, idle)
    broadcast.join(slow)
    broadcast.join(reader)
    await asyncio.wait_for(delivered.wait(), 5)

    with pytest.raises(SlowClient) as ended:
        await slow.get()
    assert ended.value.error == {
        "message": "The client read too slowly: 3 events were waiting.",
        "extensions": {"code": "SUBSCRIPTION_CLIENT_TOO_SLOW"},
    }
    assert max(sizes) == 3
    assert [await reader.get() for _ in range(10)] == [{"number": n} for n in range(10)]
    assert await reader.get() is None  # completed
