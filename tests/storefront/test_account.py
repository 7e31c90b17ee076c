"""Signing in and out in the storefront, and the access token renewed without the user noticing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from shopgraph.dev import create_dev_app
from shopgraph.loopback import free_port, served
from subgraphs.platform.settings import Settings
from tests.storefront.browser import (
    PASSWORD,
    Shop,
    assert_clean,
    sent,
    settled,
    shop_page,
    sign_in,
    sign_up,
    snap,
)

if TYPE_CHECKING:
    from playwright.async_api import Request, Route

REFRESH_KEY = "shopgraph.refreshToken"


@pytest.fixture
async def short_lived_shop(settings: Settings) -> AsyncIterator[Shop]:
    """Access tokens that last 30 s: the app renews them a minute before they expire, but
    5 s after it got one at the earliest, so here every 5 s; a renewed token still has
    time to be used on a slow machine."""
    port = free_port()
    app = create_dev_app(settings.model_copy(update={"access_token_ttl_seconds": 30}), port)
    async with served(app, port) as url:
        yield Shop(url, app)


async def test_sign_out_then_in_again(shop: Shop, tmp_path: Path) -> None:
    from playwright.async_api import expect

    async with shop_page(tmp_path) as (page, traffic):
        await sign_up(page, shop.url, "returner")
        # The access token (a JWT) is kept in memory only; the refresh token, opaque, is
        # the one thing of the session in (this tab's) sessionStorage.
        local, session = await page.evaluate(
            "() => [Object.keys(localStorage), Object.entries(sessionStorage)]"
        )
        assert local == []
        assert REFRESH_KEY in dict(session)
        assert not [key for key, value in session if value.startswith("eyJ")], session
        await page.get_by_role("button", name="Sign out").click()
        await expect(page.get_by_role("link", name="Sign in")).to_be_visible()
        assert await page.evaluate(f"sessionStorage.getItem('{REFRESH_KEY}')") is None
        assert sent(traffic, "Logout") == 1
        await page.reload()  # nothing left to sign in with
        await expect(page.get_by_role("link", name="Sign in")).to_be_visible()

        await sign_in(page, shop.url, "returner@example.com", "wrong password!")
        await expect(page.get_by_role("alert")).to_be_visible()
        await expect(page.get_by_role("link", name="Sign in")).to_be_visible()
        await snap(page, "account-sign-in-refused")
        await page.locator("#sign-in-password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in", exact=True).click()
        await expect(page.locator("h1")).to_have_text("Hello, returner")
        await expect(page.get_by_role("link", name="returner")).to_be_visible()
        await expect(page.locator("#my-orders, main p", has_text="No orders yet.")).to_be_visible()
        await snap(page, "account")
        await page.reload()  # the refresh token keeps the session across a reload
        await expect(page.locator("h1")).to_have_text("Hello, returner")
        await assert_clean(page, traffic)


def is_operation(name: str) -> object:
    return lambda request: f'"operationName":"{name}"' in (request.post_data or "")


async def test_the_access_token_is_renewed_silently(short_lived_shop: Shop, tmp_path: Path) -> None:
    from playwright.async_api import expect

    shop = short_lived_shop
    async with shop_page(tmp_path) as (page, traffic):
        await sign_up(page, shop.url, "sleeper")
        # The timer renews the token before it runs out, with no action from the user.
        async with page.expect_request(is_operation("RefreshToken"), timeout=20_000):  # type: ignore[arg-type]
            pass
        await expect(page.get_by_role("link", name="sleeper")).to_be_visible()

        # A token the router refuses (401) is renewed once and the request sent again.
        refused: list[str] = []

        async def spoil_once(route: Route, request: Request) -> None:
            if not refused and '"operationName":"MyOrders"' in (request.post_data or ""):
                refused.append(request.url)
                headers = {**request.headers, "authorization": "Bearer spoiled.token.value"}
                await route.fallback(headers=headers)
                return
            await route.fallback()

        refreshes, listed = sent(traffic, "RefreshToken"), sent(traffic, "MyOrders")
        await page.route("**/graphql", spoil_once)
        await page.get_by_role("link", name="sleeper").click()
        await settled(page)
        await expect(page.locator("h1")).to_have_text("Hello, sleeper")
        assert refused
        assert sent(traffic, "MyOrders") == listed + 2
        assert sent(traffic, "RefreshToken") >= refreshes + 1
        await expect(page.get_by_role("link", name=re.compile("^sleeper$"))).to_be_visible()
        # Chromium logs the refused request itself; that one is expected, nothing else.
        assert traffic.console_errors == [
            f"Failed to load resource: the server responded with a status of 401 (Unauthorized) ({refused[0]})"
        ]
        traffic.console_errors.clear()
        await assert_clean(page, traffic)
