"""Getting around the shop: from the keyboard alone, and with slow answers that never draw
over newer ones (a page over a later navigation, a review sort over a later sort, a
"More reviews" page twice)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING

from tests.storefront.browser import Shop, assert_clean, search, sent, settled, shop_page

if TYPE_CHECKING:
    from playwright.async_api import Page, Route


async def tab_to(page: Page, selector: str, text: str | None = None, key: str = "Tab") -> None:
    """Presses `key` until the focus is on an element matching `selector` (and saying `text`)."""
    reached = (
        "([s, t]) => document.activeElement.matches(s)"
        " && (t === null || document.activeElement.textContent === t)"
    )
    for _ in range(80):
        await page.keyboard.press(key)
        if await page.evaluate(reached, [selector, text]):
            return
    raise AssertionError(f"{key} never reached {selector} {text or ''}")


async def test_a_shopper_finds_and_buys_with_the_keyboard_alone(shop: Shop, tmp_path: Path) -> None:
    from playwright.async_api import expect

    async with shop_page(tmp_path) as (page, traffic):
        await page.goto(f"{shop.url}/")
        await search(page, "running shoes")  # the index has the demo catalog
        await page.goto(f"{shop.url}/")
        await settled(page)

        # The first Tab offers the skip link; it moves the focus to the content.
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(page.locator("main")).to_be_focused()

        await tab_to(page, "[role=searchbox]", key="Shift+Tab")  # back up into the header
        await page.keyboard.type("running shoes")
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_have_text(re.compile("results? for “running shoes”"))
        await settled(page)
        await expect(page.locator("main")).to_be_focused()  # a new page starts at its content

        await tab_to(page, "#products a", "Running Shoes (Grey)")
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_have_text("Running Shoes (Grey)")
        await settled(page)
        await tab_to(page, "button", "Add to cart")
        await page.keyboard.press("Enter")
        await expect(page.locator("#cart-message")).to_have_text(re.compile("^Added 1"))
        await assert_clean(page, traffic)


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


STALE_REVIEWS_SETTLED = (
    "() => performance.getEntriesByName('shop:reviews').filter(m => !m.detail.current)"
    ".map(m => m.detail.sort).sort().join(',') === 'NEWEST,RATING_ASC'"
)


async def test_a_slow_review_sort_or_page_draws_nothing_over_the_newer_sort(
    shop: Shop, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    product_id = await shop.most_reviewed()
    for n, rating in enumerate((1, 5, 2, 4, 3, 5)):  # more than a page, both ends of the scale
        await shop.review(f"racer{n}", product_id, rating)
    async with shop_page(tmp_path) as (page, traffic):
        await page.goto(f"{shop.url}/product/{product_id}")
        items = page.locator("#review-list li")
        await expect(items).to_have_count(5)

        # Held: the second page of the newest reviews, and the first of the lowest rated.
        held: dict[str, asyncio.Event] = {"more": asyncio.Event(), "ascending": asyncio.Event()}
        release = asyncio.Event()

        async def hold_reviews(route: Route) -> None:
            body = route.request.post_data or ""
            if '"operationName":"ProductReviews"' in body:
                kind = (
                    "more" if '"after":"' in body else "ascending" if "RATING_ASC" in body else ""
                )
                if kind and not held[kind].is_set():
                    held[kind].set()
                    await release.wait()
            await route.fallback()

        await page.route("**/graphql", hold_reviews)
        more = page.get_by_role("button", name="More reviews")
        await more.click()
        await asyncio.wait_for(held["more"].wait(), 20)
        await expect(more).to_be_disabled()  # a second click does not ask for the page again
        await more.click(force=True)
        await page.get_by_label("Sort reviews").select_option("RATING_ASC")
        await asyncio.wait_for(held["ascending"].wait(), 20)
        await page.get_by_label("Sort reviews").select_option("RATING_DESC")
        await expect(items.first.locator(".stars")).to_have_attribute("aria-label", "5 out of 5")

        release.set()
        await page.wait_for_function(STALE_REVIEWS_SETTLED)
        # The newest sort stays, alone: no old first page over it, no old second page in it.
        await expect(page.get_by_label("Sort reviews")).to_have_value("RATING_DESC")
        labels = await items.locator(".stars").evaluate_all(
            "stars => stars.map(s => s.getAttribute('aria-label'))"
        )
        ratings = [int(label.split()[0]) for label in labels]
        assert (len(ratings), ratings) == (5, sorted(ratings, reverse=True)), ratings
        assert sum('"after":"' in (body or "") for *_, body in traffic.requests) == 1
        await assert_clean(page, traffic)
