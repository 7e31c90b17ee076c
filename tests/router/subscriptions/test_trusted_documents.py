"""Subscriptions obey trusted documents as queries do: in `enforce` mode only a
documentId (or APQ hash) runs, over WebSocket and SSE alike, and it runs the
registered text whatever text comes with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from router.http.storefront import storefront_operations
from shopgraph.dev import DEV_MANIFEST
from subgraphs.platform.auth import Principal, Role
from tests.router.subscriptions.conftest import DevShop, running_shop
from tests.websocket import SubscriptionFailed, auth_payload, open_socket, subscribe

STATUS_TEXT = "subscription S($orderId: ID!) { orderStatusChanged(orderId: $orderId) { status } }"
TRUSTED = storefront_operations(DEV_MANIFEST)["OrderStatusChanged"]


@pytest.fixture
async def enforcing_shop(
    tmp_path: Path, signing_key_pem: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[DevShop]:
    monkeypatch.setenv("SHOPGRAPH_ROUTER_TRUSTED_DOCUMENTS", "enforce")
    async with running_shop(tmp_path, signing_key_pem) as shop:
        yield shop


async def test_enforce_refuses_subscription_text_and_runs_trusted_ids(
    enforcing_shop: DevShop,
) -> None:
    shop = enforcing_shop
    token = shop.tokens.issue(Principal("someone", Role.CUSTOMER))
    variables = {"orderId": "no-such-order"}

    with pytest.raises(SubscriptionFailed) as text_over_ws:
        async with subscribe(shop.ws_url, STATUS_TEXT, variables, token) as payloads:
            await anext(payloads)
    text_over_sse = await shop.http.post(
        "/graphql",
        json={"query": STATUS_TEXT, "variables": variables},
        headers={"accept": "text/event-stream", "authorization": f"Bearer {token}"},
    )
    # By id, with other text beside it: the registered document runs (and finds no such order).
    async with open_socket(shop.ws_url) as socket:
        await socket.init(auth_payload(token))
        payload = {"documentId": TRUSTED["id"], "query": "{ __typename }", "variables": variables}
        await socket.send({"id": "1", "type": "subscribe", "payload": payload})
        by_id = await socket.receive()

    not_allowed = "PERSISTED_QUERY_NOT_ALLOWED"
    assert text_over_ws.value.errors[0]["extensions"]["code"] == not_allowed
    assert text_over_sse.status_code == 400
    assert text_over_sse.json()["errors"][0]["extensions"]["code"] == not_allowed
    assert by_id["type"] == "next", by_id
    assert by_id["payload"]["data"] is None
    assert [e["extensions"]["code"] for e in by_id["payload"]["errors"]] == ["ORDER_NOT_FOUND"]
