"""What the storefront tells insights (trackEvent) and what insights gives back: on the
product page "frequently bought together" and "customers also viewed", on the home page
recommendations for the signed-in customer."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from tests.storefront.browser import (
    Shop,
    assert_clean,
    pay,
    search,
    settled,
    shop_page,
    sign_up,
    snap,
)

if TYPE_CHECKING:
    from playwright.async_api import Page

GREY, BLUE = "Running Shoes (Grey)", "Running Shoes (Blue)"


async def view_and_add(page: Page, name: str) -> str:
    from playwright.async_api import expect

    await search(page, "running shoes", expected=name)
    await page.get_by_role("link", name=name, exact=True).click()
    await page.get_by_role("button", name="Add to cart").click()
    await expect(page.locator("#cart-message")).to_have_text(re.compile("^Added 1"))
    return page.url


async def tracked(shop: Shop) -> tuple[object, ...]:
    """What insights' analytics store counted today: search terms, product views, the funnel."""
    store = shop.app.state.subgraphs["insights"].state.services.store
    end = datetime.now(UTC) + timedelta(minutes=1)
    start = end - timedelta(days=1)
    terms = await store.search_terms(start, end, 10)
    products = await store.top_products(start, end, 10)
    funnel = await store.funnel(start, end)
    return (
        {(t.query, t.zero_results == 0) for t in terms},
        sorted(p.views for p in products if p.views),
        (funnel.views, funnel.adds_to_cart),
    )


async def test_tracked_events_arrive_and_related_products_follow(
    shop: Shop, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    async with shop_page(tmp_path) as (page, traffic):
        await page.goto(f"{shop.url}/")
        await expect(page.locator("#recs-h")).to_have_text("Popular right now")
        grey = await view_and_add(page, GREY)
        await view_and_add(page, BLUE)

        # One session searched, viewed two products and added both (the guest cart).
        expected = ({("running shoes", True)}, [1, 1], (1, 1))
        for _ in range(80):
            if await tracked(shop) == expected:
                break
            await asyncio.sleep(0.25)  # the analytics sink writes on its own flush interval
        assert await tracked(shop) == expected

        # Bought together in one order.
        await page.goto(f"{shop.url}/cart")
        await page.get_by_role("link", name="Sign in or create an account").click()
        await sign_up(page, shop.url, "pairbuyer")
        await page.goto(f"{shop.url}/checkout")
        await expect(page.locator(".summary li")).to_have_count(2)
        await pay(page, "4242424242424242")
        await page.get_by_role("button", name=re.compile("^Pay")).click()
        await expect(page.locator("#order-status")).to_have_attribute("data-status", "PAID")

        # The grey pair's page now names the blue pair in both sections.
        for _ in range(80):
            await page.goto(grey)
            await settled(page)  # the product page settles once its related sections are in
            together = page.locator("#bought-together .name")
            viewed = page.locator("#also-viewed .name")
            if await together.count() and await viewed.count():
                break
            await page.wait_for_timeout(250)  # the recommender counts from the events
        await expect(together).to_have_text([BLUE])
        await expect(viewed).to_have_text([BLUE])
        await snap(page, "product-related")

        # Personal recommendations: a new customer who looked at the grey pair is offered
        # the blue one first, on a home page that says it is for them.
        await page.goto(f"{shop.url}/account")
        await page.get_by_role("button", name="Sign out").click()
        await sign_up(page, shop.url, "looker")
        await page.goto(grey)
        await settled(page)
        for _ in range(80):
            await page.goto(f"{shop.url}/")
            await settled(page)
            offered = await page.locator("#recommendations .name").all_text_contents()
            if offered[:1] == [BLUE]:
                break
            await page.wait_for_timeout(250)  # the recommender counts the view from its event
        assert offered[:1] == [BLUE], offered
        await expect(page.locator("#recs-h")).to_have_text("Recommended for you")
        await snap(page, "home-personal")
        await assert_clean(page, traffic)
