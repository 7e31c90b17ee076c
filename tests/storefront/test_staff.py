"""Staff in the storefront: products (create, edit, stock, delete), orders (ship,
deliver, refund) and the dashboard's charts, against `shopgraph dev`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from tests.storefront.browser import (
    PASSWORD,
    Shop,
    assert_clean,
    pay,
    search,
    shop_page,
    sign_in,
    sign_up,
    snap,
)

if TYPE_CHECKING:
    from playwright.async_api import Page

# One staff member per test: the tests share the module's shop.
BOSS = ("boss", "boss@example.com")
MANAGER = ("manager", "manager@example.com")


async def sign_in_staff(page: Page, shop: Shop, staff: tuple[str, str]) -> None:
    from playwright.async_api import expect

    await sign_in(page, shop.url, staff[1], PASSWORD)
    await expect(page.locator("h1")).to_have_text(f"Hello, {staff[0]}")
    await expect(page.get_by_role("link", name="Staff", exact=True)).to_be_visible()


async def test_staff_create_a_product_that_appears_in_search_then_edit_stock_and_delete_it(
    shop: Shop, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    await shop.create_staff(*BOSS, PASSWORD)
    async with shop_page(tmp_path) as (page, traffic):
        # A customer is told the staff pages are not theirs.
        await page.goto(f"{shop.url}/staff/products")
        await expect(page.locator("h1")).to_have_text("Staff only")

        await sign_in_staff(page, shop, BOSS)
        await page.get_by_role("link", name="Staff", exact=True).click()
        await (
            page.get_by_role("navigation", name="Staff")
            .get_by_role("link", name="Products")
            .click()
        )
        await expect(page.locator("#staff-products tr").first).to_be_visible()
        await snap(page, "staff-products")
        await page.get_by_role("link", name="New product").click()

        # The form refuses bad input before sending anything.
        await page.get_by_label("Name").fill("Trail Lantern")
        await page.get_by_label("Price").fill("24,5")
        await page.get_by_role("button", name="Create product").click()
        await expect(page.get_by_role("alert")).to_have_text(
            "The price is an amount such as 19.90."
        )
        await page.get_by_label("Description").fill("A <lantern> for long trails.")
        await page.get_by_label("Price").fill("24.50")
        await page.get_by_label("Stock").fill("7")
        await page.get_by_label("Category").select_option(label="Outdoor")
        await page.get_by_role("button", name="Create product").click()
        await expect(page.locator("h1")).to_have_text("Edit Trail Lantern")
        edit_url = page.url
        assert re.search(r"/staff/products/[^/]+$", edit_url)

        await page.get_by_label("Price (USD)").fill("26.00")
        await page.get_by_role("button", name="Save").click()
        await expect(page.locator(".staff-form .ok")).to_have_text("Saved Trail Lantern.")
        await snap(page, "staff-product-edit")

        # A buyer's search finds it (once indexed), at the new price.
        await search(page, "trail lantern", expected="Trail Lantern")
        card = page.locator(".card", has=page.get_by_role("link", name="Trail Lantern"))
        await expect(card.locator(".price")).to_have_text("$26.00")
        await card.get_by_role("link", name="Trail Lantern").click()
        await expect(page.locator(".stock.in")).to_have_text("In stock")
        product_url = page.url

        # Stock from the staff list: none left, and the shop says so.
        await page.goto(f"{shop.url}/staff/products")
        await page.get_by_label("Stock of Trail Lantern").fill("0")
        row = page.locator("#staff-products tr", has=page.get_by_label("Stock of Trail Lantern"))
        await row.get_by_role("button", name="Set").click()
        await expect(row.get_by_role("status")).to_have_text("Saved: 0 in stock")
        await page.goto(product_url)
        await expect(page.locator(".stock.out")).to_have_text("Out of stock")
        await expect(page.get_by_role("button", name="Add to cart")).to_be_disabled()

        # Delete asks once more, then the product is gone from the shop.
        await page.goto(edit_url)
        await page.get_by_role("button", name="Delete product").click()
        await page.get_by_role("button", name="Yes, delete Trail Lantern").click()
        await expect(page.locator("h1")).to_have_text("Products")
        await page.goto(product_url)
        await expect(page.locator("h1")).to_have_text("This product does not exist (any more)")
        await assert_clean(page, traffic)


async def buy(page: Page, product: str, card: str = "4242424242424242") -> str:
    """The signed-in buyer buys one `product` found by search; the order's URL once PAID."""
    from playwright.async_api import expect

    await search(page, "running shoes", expected=product)
    await page.get_by_role("link", name=product, exact=True).click()
    await page.get_by_role("button", name="Add to cart").click()
    await expect(page.locator("#cart-message")).to_have_text(re.compile("^Added 1"))
    await page.goto(page.url.split("/product/")[0] + "/checkout")
    await pay(page, card)
    await page.get_by_role("button", name=re.compile("^Pay")).click()
    await expect(page.locator("#order-status")).to_have_attribute("data-status", "PAID")
    return page.url


async def until_text(page: Page, selector: str, text: str) -> None:
    """Reloads until `selector` shows `text`: the analytics sink catches up on its own time."""
    for _ in range(60):
        await page.reload()
        await page.locator("#totals").wait_for()
        if (await page.locator(selector).text_content()) == text:
            return
        await page.wait_for_timeout(250)
    raise AssertionError(f"{selector} never showed {text}")


async def test_the_dashboard_shows_the_sales_and_staff_ship_deliver_and_refund(
    shop: Shop, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    await shop.create_staff(*MANAGER, PASSWORD)
    async with shop_page(tmp_path) as (page, traffic):
        await sign_up(page, shop.url, "buyer")
        first = await buy(page, "Running Shoes (Grey)")
        second = await buy(page, "Running Shoes (Blue)")
        await page.goto(f"{shop.url}/account")
        await page.get_by_role("button", name="Sign out").click()
        await expect(page.get_by_role("link", name="Sign in")).to_be_visible()

        await sign_in_staff(page, shop, MANAGER)
        await page.get_by_role("link", name="Staff", exact=True).click()
        await expect(page.locator("h1")).to_have_text("Dashboard")
        await until_text(page, "#total-orders", "2")
        await expect(page.locator("#total-revenue")).to_have_text(re.compile(r"^\$\d+\.\d{2}$"))
        # The charts are SVG drawn by the page: a line with today's dot, bars, the funnel.
        await expect(page.locator("#sales svg path.line")).to_have_count(1)
        await expect(page.locator("#sales svg circle.dot")).to_have_count(1)
        await expect(page.locator("#top-products svg text.label")).to_contain_text(
            ["Running Shoes (Grey)", "Running Shoes (Blue)"]
        )
        await expect(page.locator("#funnel svg rect.bar")).to_have_count(4)
        await expect(page.locator("#funnel svg text.value").nth(3)).to_have_text(
            re.compile(r"^1 \(\d+%\)$")
        )  # one session paid
        await snap(page, "staff-dashboard")

        # Orders: the newest first; ship then deliver one, refund the other.
        await (
            page.get_by_role("navigation", name="Staff").get_by_role("link", name="Orders").click()
        )
        rows = page.locator("#staff-orders tr")
        await expect(rows).to_have_count(2)
        newest, older = rows.nth(0), rows.nth(1)
        assert second.endswith(await newest.get_attribute("data-order") or "-")
        assert first.endswith(await older.get_attribute("data-order") or "-")
        await expect(newest.locator("td").nth(2)).to_have_text("buyer")
        await newest.get_by_role("button", name="Ship").click()
        await expect(newest.locator(".status-text")).to_have_text("SHIPPED")
        await newest.get_by_role("button", name="Mark delivered").click()
        await expect(newest.locator(".status-text")).to_have_text("DELIVERED")
        await older.get_by_role("button", name="Refund").click()
        await expect(older.locator(".status-text")).to_have_text("REFUNDED")
        await expect(older.get_by_role("button")).to_have_count(0)
        await snap(page, "staff-orders")

        await page.get_by_label("Status").select_option("REFUNDED")
        await expect(page).to_have_url(re.compile(r"/staff/orders\?status=REFUNDED$"))
        await expect(page.locator("#staff-orders tr")).to_have_count(1)
        await assert_clean(page, traffic)
