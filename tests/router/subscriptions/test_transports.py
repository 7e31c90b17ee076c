"""`orderStatusChanged` through the router of `shopgraph dev`, over each transport.

Every event joins users (`user`) and catalog (`lines.product`) to the commerce
event; another customer gets no event of the order; identical subscriptions
share one upstream, and it closes when the last subscriber leaves.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from subgraphs.commerce.services import status_channel
from tests.router.subscriptions.conftest import STATUS, Customer, DevShop, status_event
from tests.websocket import subscribe

ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
SSE = "text/event-stream"
MULTIPART = 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"'


async def websocket_events(
    shop: DevShop, order_id: str, customer: Customer, until: str
) -> list[Any]:
    seen = []
    async with subscribe(shop.ws_url, STATUS, {"id": order_id}, token=customer.token) as payloads:
        async for payload in payloads:
            seen.append(payload)
            if payload["data"] is None or payload["data"]["orderStatusChanged"]["status"] == until:
                break
    return seen


def sse_events(text: str) -> list[tuple[str, str]]:
    """(event, data) of each SSE message; comments (heartbeats) left out."""
    events = []
    for block in text.split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        if lines:
            fields = {}
            for line in lines:
                name, _, value = line.partition(": ")
                fields[name.rstrip(":")] = value
            events.append((fields["event"], fields.get("data", "")))
    return events


async def sse_payloads(
    shop: DevShop, order_id: str, customer: Customer, until: str, method: str = "POST"
) -> list[Any]:
    body = {"query": STATUS, "variables": {"id": order_id}}
    headers = {**customer.headers, "accept": "text/event-stream"}
    if method == "GET":  # graphql-sse's distinct connections, the operation in the URL
        sent: dict[str, Any] = {
            "params": {**body, "variables": orjson.dumps(body["variables"]).decode()}
        }
        headers["apollo-require-preflight"] = "true"  # CSRF prevention: a GET needs one
    else:
        sent = {"json": body}
    seen: list[Any] = []
    buffered = ""
    async with shop.http.stream(method, "/graphql", headers=headers, **sent) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        async for chunk in response.aiter_text():
            buffered += chunk
            *complete, buffered = buffered.split("\n\n")
            for event, data in sse_events("\n\n".join(complete) + "\n\n"):
                if event == "complete":
                    return seen
                seen.append(orjson.loads(data))
                if (
                    seen[-1]["data"] is None
                    or seen[-1]["data"]["orderStatusChanged"]["status"] == until
                ):
                    return seen
    return seen


async def multipart_payloads(
    shop: DevShop, order_id: str, customer: Customer, until: str
) -> list[Any]:
    body = {"query": STATUS, "variables": {"id": order_id}}
    accept = 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0",application/json'
    seen: list[Any] = []
    buffered = ""
    async with shop.http.stream(
        "POST", "/graphql", json=body, headers={**customer.headers, "accept": accept}
    ) as response:
        assert response.status_code == 200
        assert (
            response.headers["content-type"]
            == 'multipart/mixed; boundary="graphql"; subscriptionSpec="1.0"'
        )
        async for chunk in response.aiter_text():
            buffered += chunk
            parts = buffered.split("\r\n--graphql")
            buffered = parts.pop()
            for part in parts:
                if not part.strip():
                    continue
                _, _, json_body = part.partition("\r\n\r\n")
                message = orjson.loads(json_body)
                if message == {}:
                    continue  # a heartbeat
                seen.append(message["payload"])
                data = seen[-1]["data"]
                if data is None or data["orderStatusChanged"]["status"] == until:
                    return seen
    return seen


async def sse_get_payloads(
    shop: DevShop, order_id: str, customer: Customer, until: str
) -> list[Any]:
    return await sse_payloads(shop, order_id, customer, until, "GET")


FOLLOW = {
    "websocket": websocket_events,
    "sse": sse_payloads,
    "sse-get": sse_get_payloads,
    "multipart": multipart_payloads,
}


@pytest.mark.parametrize("transport", FOLLOW)
async def test_events_join_users_and_catalog(transport: str, shop: DevShop) -> None:
    ada = await shop.register("ada")
    order_id, product = await shop.place_order(ada)

    seen = await FOLLOW[transport](shop, order_id, ada, "PAID")

    assert seen == [
        status_event("PENDING_PAYMENT", ada, product),
        status_event("PAID", ada, product),
    ]


@pytest.mark.parametrize("transport", FOLLOW)
async def test_another_customer_gets_no_event_of_the_order(transport: str, shop: DevShop) -> None:
    ada, bob = await shop.register("ada"), await shop.register("bob")
    order_id, _ = await shop.place_order(ada)

    seen = await FOLLOW[transport](shop, order_id, bob, "PAID")

    [payload] = seen
    assert payload["data"] is None
    assert [error["extensions"]["code"] for error in payload["errors"]] == [ORDER_NOT_FOUND]


async def test_identical_subscriptions_share_one_upstream_until_the_last_leaves(
    shop: DevShop,
) -> None:
    ada = await shop.register("ada")
    order_id, product = await shop.place_order(ada)
    commerce = shop.app.state.subgraphs["commerce"].state.services.pubsub
    channel = status_channel(order_id)

    async with (
        subscribe(shop.ws_url, STATUS, {"id": order_id}, token=ada.token) as first,
        subscribe(shop.ws_url, STATUS, {"id": order_id}, token=ada.token) as second,
    ):
        pending = status_event("PENDING_PAYMENT", ada, product)
        assert [await anext(first), await anext(second)] == [pending, pending]
        assert (shop.hub.active, shop.hub.upstreams) == (2, 1)
        assert await commerce.subscriber_count(channel) == 1
    await _until(lambda: shop.hub.active == 0)
    await _until_async(lambda: commerce.subscriber_count(channel), 0)
    assert shop.hub.upstreams == 0


@pytest.mark.parametrize("accept", [SSE, MULTIPART], ids=["sse", "multipart"])
async def test_a_stream_client_that_leaves_closes_the_upstream(accept: str, shop: DevShop) -> None:
    ada = await shop.register("ada")
    order_id, _ = await shop.place_order(ada)
    commerce = shop.app.state.subgraphs["commerce"].state.services.pubsub
    body = {"query": STATUS, "variables": {"id": order_id}}

    async with shop.http.stream(
        "POST", "/graphql", json=body, headers={**ada.headers, "accept": accept}
    ) as response:
        chunks, text = response.aiter_text(), ""
        while "PENDING_PAYMENT" not in text:
            text += await anext(chunks)
        assert (shop.hub.active, shop.hub.upstreams, shop.hub.connections) == (1, 1, 1)
    # The client hung up in the middle of the stream.
    await _until(lambda: (shop.hub.active, shop.hub.upstreams, shop.hub.connections) == (0, 0, 0))
    await _until_async(lambda: commerce.subscriber_count(status_channel(order_id)), 0)


async def test_subscriptions_with_other_credentials_do_not_share_an_upstream(
    shop: DevShop,
) -> None:
    ada = await shop.register("ada")
    order_id, product = await shop.place_order(ada)
    other_token = shop.token_expiring_in(ada, 600)  # the same customer, another token
    assert other_token != ada.token

    async with (
        subscribe(shop.ws_url, STATUS, {"id": order_id}, token=ada.token) as first,
        subscribe(shop.ws_url, STATUS, {"id": order_id}, token=other_token) as second,
    ):
        pending = status_event("PENDING_PAYMENT", ada, product)
        assert [await anext(first), await anext(second)] == [pending, pending]
        assert (shop.hub.active, shop.hub.upstreams) == (2, 2)
    await _until(lambda: shop.hub.upstreams == 0)


async def test_metrics_count_the_subscriptions_open_now(shop: DevShop) -> None:
    ada = await shop.register("ada")
    order_id, _ = await shop.place_order(ada)
    gauge = "shopgraph_router_active_subscriptions"

    async def active() -> list[str]:
        text = (await shop.http.get("/metrics")).text
        return [line for line in text.splitlines() if line.startswith(gauge)]

    assert await active() == [f"{gauge} 0.0"]
    async with (
        subscribe(shop.ws_url, STATUS, {"id": order_id}, token=ada.token) as first,
        subscribe(shop.ws_url, STATUS, {"id": order_id}, token=ada.token) as second,
    ):
        await anext(first)
        await anext(second)
        assert await active() == [f"{gauge} 2.0"]
    await _until(lambda: shop.hub.active == 0)
    assert await active() == [f"{gauge} 0.0"]


async def test_a_query_over_sse_is_one_event(shop: DevShop) -> None:
    response = await shop.http.post(
        "/graphql",
        json={"query": "{ products(first: 1) { totalCount } }"},
        headers={"accept": "text/event-stream"},
    )
    [(event, data), complete] = sse_events(response.text)
    assert event == "next"
    assert orjson.loads(data)["data"]["products"]["totalCount"] > 0
    assert complete == ("complete", "")


async def test_a_subscription_with_errors_is_refused_before_any_stream(shop: DevShop) -> None:
    response = await shop.http.post(
        "/graphql",
        json={"query": "subscription { orderStatusChanged { status } }"},
        headers={"accept": "text/event-stream"},
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def _until(condition: Any) -> None:
    """Waits (at most 5 s) for the server to clean up after the client left."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - the server's state offers no event to await
            await asyncio.sleep(0.02)


async def _until_async(value: Any, expected: Any) -> None:
    async with asyncio.timeout(5):
        while await value() != expected:  # noqa: ASYNC110 - likewise, a count at the subgraph
            await asyncio.sleep(0.02)


async def test_a_subscription_asking_for_json_is_told_the_transports(shop: DevShop) -> None:
    response = await shop.http.post(
        "/graphql",
        json={"query": STATUS, "variables": {"id": "1"}},
        headers={"accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "A subscription needs a WebSocket (graphql-transport-ws), or a POST "
                'accepting text/event-stream or multipart/mixed; subscriptionSpec="1.0".',
                "extensions": {"code": "OPERATION_RESOLUTION_FAILURE"},
            }
        ]
    }


async def test_an_sse_get_without_a_preflight_header_is_refused_as_csrf(shop: DevShop) -> None:
    ada = await shop.register("ada")
    order_id, _ = await shop.place_order(ada)
    params = {"query": STATUS, "variables": orjson.dumps({"id": order_id}).decode()}
    headers = {**ada.headers, "accept": "text/event-stream"}

    response = await shop.http.get("/graphql", params=params, headers=headers)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "CSRF_PREVENTION"}
