"""The storefront's own router: a page that loads slowly never draws over a newer navigation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from tests.storefront.browser import Shop, assert_clean, sent, shop_page

if TYPE_CHECKING:
    from playwright.async_api import Route

STALE_PRODUCT_SETTLED = (
    "() => performance.getEntriesByName('shop:rendered')"
    ".some(m => m.detail.path.startsWith('/product/') && !m.detail.current)"
)


async def test_a_page_that_finishes_after_a_newer_navigation_draws_nothing(
    shop: Shop, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    async with shop_page(tmp_path) as (page, traffic):
        await page.goto(f"{shop.url}/")
        await expect(page.locator("#products .card").first).to_be_visible()

        # The product's answer is held until the user has gone on to the cart.
        held, release = asyncio.Event(), asyncio.Event()

        async def hold_product(route: Route) -> None:
            if '"operationName":"Product"' in (route.request.post_data or ""):
                held.set()
                await release.wait()
            await route.fallback()

        await page.route("**/graphql", hold_product)
        await page.locator("#products .card a").first.click()
        await asyncio.wait_for(held.wait(), 20)
        await page.get_by_role("link", name="Cart", exact=True).click()
        await expect(page.locator("h1")).to_have_text("Your cart is empty")

        release.set()
        await page.wait_for_function(STALE_PRODUCT_SETTLED)
        await expect(page.locator("h1")).to_have_text("Your cart is empty")
        assert page.url == f"{shop.url}/cart"
        # The stale page stopped there: no view tracked, no reviews or related products asked for.
        assert (sent(traffic, "ProductReviews"), sent(traffic, "ProductRelated")) == (0, 0)
        assert '"type":"PRODUCT_VIEWED"' not in "".join(body or "" for *_, body in traffic.requests)

        # Back returns to the product, which now loads and draws.
        await page.go_back()
        await expect(page.locator("#price")).to_be_visible()
        await assert_clean(page, traffic)
