"""A buyer's journeys through the storefront, in a real browser against `shopgraph dev`."""

from __future__ import annotations

import re
from pathlib import Path

from tests.storefront.browser import Shop, assert_clean, pay, search, sent, shop_page, sign_up, snap

# The journeys run on both backends (see tests/storefront/conftest.py).
SHOP_BACKENDS = ("sqlite", "postgres")


async def test_browse_search_buy_and_see_paid_live(shop: Shop, tmp_path: Path) -> None:
    from playwright.async_api import expect

    async with shop_page(tmp_path) as (page, traffic):
        await page.goto(f"{shop.url}/")
        await expect(page.locator("#recommendations")).to_be_visible()
        await expect(page.locator("#products .card").first).to_be_visible()
        await snap(page, "1-home")

        # The search box is a searchbox; the typo still finds the shoes (once indexed).
        await search(page, "runing shoes")
        assert re.search(r"/search\?q=runing\+shoes$", page.url)
        await expect(page.locator(".facets fieldset").first).to_be_visible()
        await snap(page, "2-search")

        # The plain Running Shoes are sold out in the demo shop; a variant is in stock.
        await page.get_by_role("link", name=re.compile(r"^Running Shoes \(")).first.click()
        await expect(page.locator("h1")).to_have_text(re.compile(r"^Running Shoes \("))
        await expect(page.locator(".stock.in")).to_be_visible()
        await expect(page.locator("#price")).to_have_text(re.compile(r"^\$\d+\.\d{2}$"))
        await expect(page.locator("#rating-bars meter")).to_have_count(5)
        product_url = page.url
        await page.get_by_role("button", name="Add to cart").click()
        await expect(page.locator("#cart-message")).to_have_text(
            re.compile(r"^Added 1 . Running Shoes \(")
        )
        await snap(page, "3-product")

        # A deep link survives a reload, and back returns to the search.
        await page.reload()
        await expect(page.locator("h1")).to_have_text(re.compile(r"^Running Shoes \("))
        await page.go_back()
        await expect(page.locator("h1")).to_have_text(re.compile("results? for “runing shoes”"))
        await page.go_forward()
        assert page.url == product_url

        await page.get_by_role("link", name=re.compile(r"^Cart")).click()
        await expect(page.locator("#subtotal")).to_have_text(re.compile(r"^\$"))
        await snap(page, "4-cart")
        await page.get_by_role("link", name="Sign in or create an account").click()
        await page.get_by_label("Username").fill("runner")
        await page.locator("#sign-up-email").fill("runner@example.com")
        await page.locator("#sign-up-password").fill("correct horse battery")
        await snap(page, "5-account")
        await page.get_by_role("button", name="Create account").click()

        # Signed up, the guest cart moved into the user's cart, and on to checkout.
        await expect(page.locator("h1")).to_have_text("Checkout")
        await expect(page.locator(".summary li")).to_have_text([re.compile("^1 . Running Shoes")])
        await page.get_by_label("Card number").fill("4242 4242 4242 4242")
        await page.get_by_label("Expiry (MM/YY)").fill("12/40")
        await page.get_by_label("CVC").fill("123")
        await snap(page, "6-checkout")
        await page.get_by_role("button", name=re.compile("^Pay")).click()

        await expect(page.locator("h1")).to_have_text("Your order")
        url_before = page.url
        await expect(page.locator("#order-status")).to_have_attribute("data-status", "PAID")
        assert page.url == url_before  # live, not reloaded
        await snap(page, "7-order-paid")

        # The buyer's review shows the verified badge and moves the rating summary.
        await page.goto(product_url)
        summary = await page.locator("#rating-summary").text_content()
        await page.get_by_label("Rating").select_option("5")
        await page.get_by_label("Your review").fill("<b>Great</b> shoes")
        await page.get_by_role("button", name="Publish review").click()
        first = page.locator("#review-list li").first
        await expect(first.locator(".comment")).to_have_text(
            "<b>Great</b> shoes"
        )  # text, not markup
        await expect(first.locator(".badge.verified")).to_have_text("Verified purchase")
        await expect(page.locator("#rating-summary")).not_to_have_text(summary or "")
        await snap(page, "3b-product-reviewed")
        await assert_clean(page, traffic)


async def test_a_declined_card_shows_the_reason_and_a_retry_pays(
    shop: Shop, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    async with shop_page(tmp_path) as (page, traffic):
        await sign_up(page, shop.url, "decliner")

        await search(page, "running shoes")
        await page.get_by_role("link", name="Running Shoes (Grey)", exact=True).click()
        await page.get_by_role("button", name="Add to cart").click()
        await expect(page.get_by_role("link", name="Cart (1)")).to_be_visible()
        await page.goto(f"{shop.url}/checkout")  # a deep link, signed in again by the refresh token

        # In development the page lists the simulator's test cards.
        await expect(page.locator(".test-cards li code")).to_have_text(
            ["4242424242424242", "4000000000000002", "4000000000009995", "4000000000000119"]
        )
        # The form refuses a bad card before anything is sent.
        await pay(page, "4242 4242 4242 4241")
        await page.get_by_role("button", name=re.compile("^Pay")).click()
        await expect(page.get_by_role("alert")).to_have_text("The card number is not valid.")
        await pay(page, "4000000000000002")
        await page.get_by_label("Expiry (MM/YY)").fill("01/20")
        await page.get_by_label("CVC").fill("12")
        await page.get_by_role("button", name=re.compile("^Pay")).click()
        await expect(page.get_by_role("alert").locator("p")).to_have_text(
            [
                "The expiry date must be a month in the future, as MM/YY.",
                "The CVC is 3 or 4 digits.",
            ]
        )
        assert sent(traffic, "Checkout") == 0

        # A double click on Pay makes one order (one idempotency key per attempt).
        await pay(page, "4000000000000002")
        await page.get_by_role("button", name=re.compile("^Pay")).dblclick()
        await expect(page.locator("#order-status")).to_have_attribute(
            "data-status", "PAYMENT_FAILED"
        )
        await expect(page.locator("#failure-reason")).to_have_text(re.compile(r"^Reason: \S"))
        assert sent(traffic, "Checkout") == 1
        await snap(page, "8-order-declined")

        await pay(page, "4242424242424242")
        await page.get_by_role("button", name="Retry payment").click()
        await expect(page.locator("#order-status")).to_have_attribute("data-status", "PAID")
        await expect(page.locator("#failure-reason")).to_have_count(0)
        await snap(page, "9-order-retried")

        await page.goto(f"{shop.url}/account")
        await expect(page.locator("#my-orders li")).to_have_text([re.compile(r"\$99\.90 PAID$")])
        await snap(page, "10-my-orders")
        await assert_clean(page, traffic)
