"""A subscription ends when the caller's access token expires: at the router over each
transport (4403 on WebSocket, an error event on SSE and multipart), and at the commerce
subgraph itself, where the socket closes with 4403 and takes no new subscription."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.context import RequestContext
from subgraphs.platform.errors import AccessError
from tests.router.subscriptions.conftest import STATUS, Customer, DevShop, status_event
from tests.router.subscriptions.test_transports import sse_events, websocket_events
from tests.websocket import SocketClosed, auth_payload, open_socket, subscribe

DECLINED = "4000000000000002"
LIFETIME = 1.5  # seconds the short-lived tokens below hold
EXPIRED = {
    "message": "The access token has expired; subscribe again with a fresh token.",
    "extensions": {"code": "TOKEN_EXPIRED"},
}


async def follow(url: str, query: str, order_id: str, token: str, seen: list[Any]) -> None:
    """Appends each payload to `seen` until the subscription ends."""
    async with subscribe(url, query, {"id": order_id}, token=token) as payloads:
        async for payload in payloads:
            seen.append(payload)


async def settled_order(shop: DevShop, customer: Customer) -> tuple[str, str]:
    """An order whose payment already failed: its status no longer changes by itself."""
    order_id, product = await shop.place_order(customer, DECLINED)
    await websocket_events(shop, order_id, customer, "PAYMENT_FAILED")
    return order_id, product


async def post_expiring(
    shop: DevShop, customer: Customer, order_id: str, accept: str
) -> httpx.Response:
    """The whole streamed answer to STATUS, sent with a token about to expire."""
    token = shop.token_expiring_in(customer, LIFETIME)
    return await shop.http.post(
        "/graphql",
        json={"query": STATUS, "variables": {"id": order_id}},
        headers={"authorization": f"Bearer {token}", "accept": accept},
    )


async def test_the_router_closes_the_socket_with_4403_when_the_token_expires(shop: DevShop) -> None:
    ada = await shop.register("ada")
    order_id, product = await settled_order(shop, ada)
    token = shop.token_expiring_in(ada, LIFETIME)
    expires = time.time() + LIFETIME

    seen: list[Any] = []
    with pytest.raises(SocketClosed) as closed:
        await follow(shop.ws_url, STATUS, order_id, token, seen)

    assert seen == [status_event("PAYMENT_FAILED", ada, product)]
    assert closed.value.code == 4403
    assert time.time() >= expires - 1  # exp has whole-second precision
    assert shop.hub.active == 0


async def test_an_expired_token_is_refused_at_connection_init(shop: DevShop) -> None:
    ada = await shop.register("ada")
    token = shop.token_expiring_in(ada, -1)
    async with open_socket(shop.ws_url) as socket:
        await socket.send({"type": "connection_init", "payload": auth_payload(token)})
        assert (await socket.closed())[0] == 4403


async def test_sse_ends_with_an_error_event_when_the_token_expires(shop: DevShop) -> None:
    ada = await shop.register("ada")
    order_id, product = await settled_order(shop, ada)

    response = await post_expiring(shop, ada, order_id, "text/event-stream")

    events = sse_events(response.text)
    assert events == [
        ("next", orjson.dumps(status_event("PAYMENT_FAILED", ada, product)).decode()),
        ("next", orjson.dumps({"errors": [EXPIRED]}).decode()),
        ("complete", ""),
    ]


async def test_multipart_ends_with_an_error_part_when_the_token_expires(shop: DevShop) -> None:
    ada = await shop.register("ada")
    order_id, product = await settled_order(shop, ada)

    accept = 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"'
    response = await post_expiring(shop, ada, order_id, accept)

    parts: list[Any] = [
        orjson.loads(part.partition("\r\n\r\n")[2])
        for part in response.text.split("\r\n--graphql")
        if part.strip() and part != "--\r\n"
    ]
    assert [part for part in parts if part != {}] == [
        {"payload": status_event("PAYMENT_FAILED", ada, product)},
        {"payload": None, "errors": [EXPIRED]},
    ]
    assert response.text.endswith("\r\n--graphql--\r\n")


COMMERCE_STATUS = "subscription S($id: ID!) { orderStatusChanged(orderId: $id) { status } }"


def commerce_ws_url(shop: DevShop) -> str:
    return f"{shop.url}/subgraphs/commerce/graphql".replace("http", "ws", 1)


async def expiring_order(shop: DevShop) -> tuple[str, str]:
    """A settled order of a new customer, and a token of theirs about to expire."""
    ada = await shop.register("ada")
    order_id, _ = await settled_order(shop, ada)
    return order_id, shop.token_expiring_in(ada, LIFETIME)


async def test_the_commerce_subgraph_closes_the_socket_with_4403_when_the_token_expires(
    shop: DevShop,
) -> None:
    order_id, token = await expiring_order(shop)

    seen: list[Any] = []
    with pytest.raises(SocketClosed) as closed:
        await follow(commerce_ws_url(shop), COMMERCE_STATUS, order_id, token, seen)

    assert seen == [{"data": {"orderStatusChanged": {"status": "PAYMENT_FAILED"}}}]
    assert closed.value.code == 4403


async def test_the_commerce_subgraph_takes_no_subscription_on_an_expired_socket(
    shop: DevShop,
) -> None:
    order_id, token = await expiring_order(shop)
    async with open_socket(commerce_ws_url(shop)) as socket:
        await socket.init(auth_payload(token))

        code, reason = await socket.closed()

        assert (code, reason) == (4403, "Forbidden: the access token has expired")
        with pytest.raises(ConnectionError):
            await socket.send(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": COMMERCE_STATUS, "variables": {"id": order_id}},
                }
            )


def test_an_expired_principal_counts_as_signed_out() -> None:
    context: RequestContext[None, None] = RequestContext(
        request=None,  # type: ignore[arg-type]  # not read by require_principal
        request_id="r",
        principal=Principal("u-1", Role.CUSTOMER),
        services=None,
        loaders=None,
        principal_expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    with pytest.raises(AccessError):
        context.require_principal()
    assert context.principal is None
