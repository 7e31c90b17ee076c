"""The storefront against a router that runs trusted documents only (`enforce`)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shopgraph.dev import create_dev_app
from shopgraph.loopback import free_port, served
from subgraphs.platform.settings import Settings
from tests.storefront.browser import Shop, assert_clean, pay, search, shop_page, sign_up, snap
from tests.websocket import SubscriptionFailed, subscribe


@pytest.fixture
async def enforcing_shop(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Shop]:
    """`shopgraph dev` whose router refuses every document that is not a trusted one."""
    monkeypatch.setenv("SHOPGRAPH_ROUTER_TRUSTED_DOCUMENTS", "enforce")
    port = free_port()
    app = create_dev_app(settings, port)
    assert app.state.router.state.live.config.trusted_documents == "enforce"
    async with served(app, port) as url:
        yield Shop(url, app)


async def test_the_buyer_journey_runs_on_trusted_documents_alone(
    enforcing_shop: Shop, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    shop = enforcing_shop
    async with shop_page(tmp_path) as (page, traffic):
        await page.goto(f"{shop.url}/")
        await expect(page.locator("#products .card").first).to_be_visible()
        await sign_up(page, shop.url, "trusted")
        await search(page, "running shoes", expected="Running Shoes (Grey)")
        await page.get_by_role("link", name="Running Shoes (Grey)", exact=True).click()
        await expect(page.locator("#review-list")).to_be_attached()
        await page.get_by_role("button", name="Add to cart").click()
        await expect(page.get_by_role("link", name="Cart (1)")).to_be_visible()
        await page.get_by_role("link", name="Cart (1)").click()
        await page.get_by_role("link", name="Go to checkout").click()
        await pay(page, "4242424242424242")
        await page.get_by_role("button", name=re.compile("^Pay")).click()
        # PAID arrives over the graphql-ws subscription, also sent by documentId.
        await expect(page.locator("#order-status")).to_have_attribute("data-status", "PAID")
        await snap(page, "enforce-order-paid")
        await assert_clean(page, traffic)

    posts = [
        json.loads(body) for method, url, body in traffic.requests if method == "POST" and body
    ]
    assert posts, "the storefront sent no operation"
    assert all("documentId" in post and "query" not in post for post in posts)
    assert {"Register", "SearchProducts", "Product", "AddToCart", "Checkout"} <= {
        post["operationName"] for post in posts
    }

    # The router really enforces: a subscription sent as text is refused.
    order_id = page.url.rsplit("/", 1)[1]
    query = "subscription S($id: ID!) { orderStatusChanged(orderId: $id) { status } }"
    with pytest.raises(SubscriptionFailed) as refused:
        async with subscribe(f"{shop.url}/graphql", query, {"id": order_id}) as payloads:
            await anext(payloads)
    assert refused.value.errors[0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
