"""`orderStatusChanged` over graphql-transport-ws: the owner and staff follow an order live,
nobody else can."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from subgraphs.commerce.services import status_channel
from subgraphs.platform.auth import Role
from tests.subgraphs.commerce.conftest import DECLINED, Shop
from tests.websocket import subscribe

STATUS = "subscription S($id: ID!) { orderStatusChanged(orderId: $id) { id status payments { status } } }"


def ws_url(shop: Shop) -> str:
    return shop.commerce_url.replace("http", "ws", 1)


async def placed_order(shop: Shop, token: str, number: str = DECLINED) -> str:
    product = await shop.product(stock=3)
    await shop.add(token, product)
    payload = await shop.checkout(token, number=number)
    assert payload["errors"] == []
    order_id: str = payload["order"]["id"]
    return order_id


async def first_payload(shop: Shop, order_id: str, token: str | None) -> dict[str, Any]:
    async with subscribe(ws_url(shop), STATUS, {"id": order_id}, token=token) as payloads:
        async for payload in payloads:
            return payload
    raise AssertionError("the subscription ended without a payload")


async def test_the_owner_sees_each_status_until_the_outcome(shop: Shop) -> None:
    dana = shop.token("dana")
    order_id = await placed_order(shop, dana)

    seen = []
    async with subscribe(ws_url(shop), STATUS, {"id": order_id}, token=dana) as payloads:
        async for payload in payloads:
            seen.append(payload["data"]["orderStatusChanged"])
            if seen[-1]["status"] == "PAYMENT_FAILED":
                break

    # The order as it is on subscribing, then each change; the worker may have
    # been faster than the subscription, so the first may already be the outcome.
    assert seen[-1] == {
        "id": order_id,
        "status": "PAYMENT_FAILED",
        "payments": [{"status": "FAILED"}],
    }
    assert [s["status"] for s in seen] in (
        ["PENDING_PAYMENT", "PAYMENT_FAILED"],
        ["PAYMENT_FAILED"],
    )


async def test_checkout_publishes_no_status_only_the_moves_after_it_do(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No subscription can exist before its order does, and one starts by reading the
    order: a PENDING_PAYMENT message from checkout would reach no one who needs it."""
    published: list[tuple[str, bytes]] = []
    publish_all = shop.commerce.pubsub.publish_all

    async def noted(messages: Sequence[tuple[str, bytes]]) -> None:
        published.extend(messages)
        await publish_all(messages)

    monkeypatch.setattr(shop.commerce.pubsub, "publish_all", noted)
    hana = shop.token("hana")

    order_id = await placed_order(shop, hana)
    assert (await shop.settled(order_id, hana))["status"] == "PAYMENT_FAILED"

    assert [m for m in published if m[0] == status_channel(order_id)] == [
        (status_channel(order_id), b"PAYMENT_FAILED")
    ]


async def test_staff_may_follow_any_order(shop: Shop) -> None:
    order_id = await placed_order(shop, shop.token("erin"))
    payload = await first_payload(shop, order_id, shop.token("staff-9", Role.STAFF))
    assert payload["data"]["orderStatusChanged"]["id"] == order_id


async def test_another_customer_cannot_follow_the_order(shop: Shop) -> None:
    order_id = await placed_order(shop, shop.token("fay"))

    payload = await first_payload(shop, order_id, shop.token("mallory"))

    assert payload["data"] is None
    [error] = payload["errors"]
    assert error["extensions"]["code"] == "ORDER_NOT_FOUND"


async def test_signed_out_callers_cannot_follow_an_order(shop: Shop) -> None:
    order_id = await placed_order(shop, shop.token("gus"))

    payload = await first_payload(shop, order_id, None)

    assert payload["data"] is None
    assert [e["extensions"]["code"] for e in payload["errors"]] == ["UNAUTHENTICATED"]
