"""Every page of the storefront, at a desktop's and a phone's width: no uncaught error,
no CSP violation, nothing wider than the screen, and a screenshot for a person to look at."""

from __future__ import annotations

import json
import re
from pathlib import Path

from router.http.storefront import PAGES_FILE
from shopgraph.dev import STOREFRONT_DIR
from tests.router.http.browser.chromium import Traffic
from tests.storefront.browser import (
    PASSWORD,
    Shop,
    assert_clean,
    pay,
    search,
    settled,
    shop_page,
    sign_in,
    snap,
)

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
BUDGET_BYTES = 300 * 1024  # the first-load budget, compressed
LOADED_BYTES = """() => [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
  .reduce((sum, entry) => sum + entry.decodedBodySize, 0)"""
STAFF_MODULES = {"/storefront/staff.js", "/storefront/dashboard.js", "/storefront/charts.js"}


def modules_fetched(shop: Shop, traffic: Traffic) -> set[str]:
    """Which of the staff pages' modules the page has asked for so far."""
    return {url.removeprefix(shop.url) for _, url, _ in traffic.requests} & STAFF_MODULES


async def test_every_page_loads_clean_at_desktop_and_phone_width(
    shop: Shop, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    await shop.create_staff("owner", "owner@example.com", PASSWORD)
    async with shop_page(tmp_path) as (page, traffic):
        # A shopper's first load carries none of the staff pages' code.
        await page.goto(f"{shop.url}/")
        await expect(page.locator("#products .card").first).to_be_visible()
        assert modules_fetched(shop, traffic) == set()
        # Uncompressed, the first load already fits the budget for what is sent compressed
        # (bench/storefront/run.py measures the bytes transferred).
        assert 50 * 1024 < await page.evaluate(LOADED_BYTES) <= BUDGET_BYTES

        # Staff can shop too: one signed-in user reaches every page, an order included.
        await sign_in(page, shop.url, "owner@example.com", PASSWORD)
        await expect(page.locator("h1")).to_have_text("Hello, owner")
        await search(page, "running shoes", expected="Running Shoes (Grey)")
        await page.get_by_role("link", name="Running Shoes (Grey)", exact=True).click()
        product = page.url.removeprefix(shop.url)
        category = await page.locator(".crumbs a").nth(1).get_attribute("href")
        await page.get_by_role("button", name="Add to cart").click()
        await page.get_by_role("link", name="Cart (1)").click()
        await page.get_by_role("link", name="Go to checkout").click()
        await pay(page, "4242424242424242")
        await page.get_by_role("button", name=re.compile("^Pay")).click()
        await expect(page.locator("#order-status")).to_have_attribute("data-status", "PAID")
        order = page.url.removeprefix(shop.url)
        product_id = product.rsplit("/", 1)[1]
        # A line in the cart again: the cart and checkout pages are drawn full, not empty.
        await page.goto(f"{shop.url}{product}")
        await page.get_by_role("button", name="Add to cart").click()
        await expect(page.get_by_role("link", name="Cart (1)")).to_be_visible()

        pages = {
            "home": "/",
            "category": category,
            "search": "/search?q=running+shoes",
            "product": product,
            "cart": "/cart",
            "checkout": "/checkout",
            "order": order,
            "account": "/account",
            "staff-dashboard": "/staff",
            "staff-products": "/staff/products",
            "staff-new-product": "/staff/products/new",
            "staff-edit-product": f"/staff/products/{product_id}",
            "staff-orders": "/staff/orders",
        }
        # Every page the app and the router know (pages.json), by the same names.
        listed = json.loads((STOREFRONT_DIR / PAGES_FILE).read_text())
        assert set(pages) == {page["page"] for page in listed}
        pages["not-found-in-app"] = "/product/no-such-product"
        for viewport, (width, height) in VIEWPORTS.items():
            await page.set_viewport_size({"width": width, "height": height})
            for name, path in pages.items():
                await page.goto(f"{shop.url}{path}")
                await settled(page)
                await expect(page.locator("main h1")).to_be_visible()
                overflow = await page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, f"{name} is {overflow}px wider than a {viewport}"
                await snap(page, f"page-{name}-{viewport}")
                await assert_clean(page, traffic)
        # The staff pages brought their modules when they were visited.
        assert modules_fetched(shop, traffic) == STAFF_MODULES
