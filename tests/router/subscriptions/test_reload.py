"""Subscriptions through a hot reload of the supergraph.

A subscription keeps running on the gateway it was planned on, which stays
open for it while new requests go to the new one. When the drain time is up,
the subscriptions still on the old gateway end with the documented signal:
WebSocket close 1012 (graphql-ws clients reconnect on it), an error event
`SUBSCRIPTION_SCHEMA_RELOAD` over SSE; subscribing again reaches the new one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from tests.router.subscriptions.conftest import (
    STATUS,
    DevShop,
    SecondRouter,
    second_router,
    status_event,
)
from tests.router.subscriptions.test_transports import sse_events
from tests.websocket import SocketClosed, subscribe


async def reload(router: SecondRouter) -> None:
    """Swap in the next version of the supergraph (the same graph, another text)."""
    sdl = router.live.current.supergraph.sdl + "\n# the next version\n"
    assert (await router.live.swap(sdl, "test")).swapped


async def test_a_subscription_keeps_getting_joined_events_through_a_reload(shop: DevShop) -> None:
    ada = await shop.register("ada")
    order_id, product = await shop.place_order(ada)
    async with (
        second_router(shop) as router,
        subscribe(router.ws_url, STATUS, {"id": order_id}, token=ada.token) as payloads,
    ):
        assert await anext(payloads) == status_event("PENDING_PAYMENT", ada, product)
        planned_on = router.live.current

        await reload(router)

        # Joined from users and catalog through the old gateway, still open for it.
        assert await anext(payloads) == status_event("PAID", ada, product)
        assert router.live.current is not planned_on
        assert router.live.current.ready


async def read_until_closed(payloads: AsyncIterator[dict[str, Any]]) -> None:
    async for payload in payloads:  # PAID may come first, from the old gateway
        assert payload["data"] is not None


def sse_ending(message: str, code: str) -> list[tuple[str, Any]]:
    """The last two SSE events of a subscription the router ended: the error, `complete`."""
    error = {"message": message, "extensions": {"code": code}}
    return [("next", {"errors": [error]}), ("complete", None)]


class SseEvents:
    """The (event, data) pairs of one SSE response, read as they arrive."""

    def __init__(self, response: httpx.Response) -> None:
        self.chunks = response.aiter_text()
        self.buffered = ""
        self.ready: list[tuple[str, Any]] = []

    async def next(self) -> tuple[str, Any]:
        while not self.ready:
            self.buffered += await anext(self.chunks)
            *complete, self.buffered = self.buffered.split("\n\n")
            for event, data in sse_events("\n\n".join(complete) + "\n\n"):
                self.ready.append((event, orjson.loads(data) if data else None))
        return self.ready.pop(0)


async def test_subscriptions_left_on_a_replaced_supergraph_end_with_the_reload_signal(
    shop: DevShop,
) -> None:
    ada = await shop.register("ada")
    order_id, product = await shop.place_order(ada)
    body = {"query": STATUS, "variables": {"id": order_id}}
    headers = {**ada.headers, "accept": "text/event-stream"}
    async with (
        second_router(shop, drain_seconds=0.5) as router,
        httpx.AsyncClient(base_url=router.url, timeout=10) as http,
        http.stream("POST", "/graphql", json=body, headers=headers) as response,
        subscribe(router.ws_url, STATUS, {"id": order_id}, token=ada.token) as payloads,
    ):
        sse = SseEvents(response)
        first_event = await sse.next()
        assert await anext(payloads) == status_event("PENDING_PAYMENT", ada, product)

        await reload(router)

        with pytest.raises(SocketClosed) as closed:
            await read_until_closed(payloads)
        events = [await sse.next()]
        while events[-1][0] != "complete":
            events.append(await sse.next())
        # Subscribing again reaches the new supergraph, and the order's state now.
        async with subscribe(router.ws_url, STATUS, {"id": order_id}, token=ada.token) as again:
            latest = await anext(again)

    assert (closed.value.code, closed.value.reason) == (
        1012,
        "The router now serves a new supergraph; subscribe again.",
    )
    assert first_event == ("next", status_event("PENDING_PAYMENT", ada, product))
    assert events[-2:] == sse_ending(
        "The router now serves a new supergraph; subscribe again.", "SUBSCRIPTION_SCHEMA_RELOAD"
    )
    assert latest["data"]["orderStatusChanged"]["user"] == {"username": "ada"}
