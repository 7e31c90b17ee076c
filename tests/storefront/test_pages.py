"""The storefront's pages one by one: category paging and sort, search facets and sort,
price buckets and the empty state, cart quantities and its errors, cancelling an order,
reviews' paging and sort."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

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

DASH = "\N{EN DASH}"  # between the bounds of the catalog's price bucket labels


def dollars(text: str | None) -> Decimal:
    return Decimal((text or "").strip().removeprefix("$").replace(",", ""))


async def test_a_category_loads_more_pages_and_sorts(shop: Shop, tmp_path: Path) -> None:
    from playwright.async_api import expect

    async with shop_page(tmp_path) as (page, traffic):
        await page.goto(f"{shop.url}/")
        await page.locator(".chips a").first.click()
        await expect(page).to_have_url(re.compile(r"/category/[^/?]+$"))
        cards = page.locator("#products .card")
        await expect(cards).to_have_count(12)
        more = page.get_by_role("button", name="Load more")
        await more.click()
        await expect(cards).to_have_count(24)
        while await more.is_visible():
            shown = await cards.count()
            await more.click()
            await expect(cards).not_to_have_count(shown)
        names = await cards.locator(".name").all_text_contents()
        assert len(names) == len(set(names)) > 24  # keyset pages neither repeat nor skip
        await snap(page, "category")

        await page.get_by_label("Sort by").select_option("PRICE_ASC")
        await expect(page).to_have_url(re.compile(r"\?sort=PRICE_ASC$"))
        await expect(cards).to_have_count(12)
        prices = [dollars(p) for p in await cards.locator(".price").all_text_contents()]
        assert prices == sorted(prices)
        await page.go_back()
        await expect(page.get_by_label("Sort by")).to_have_value("NEWEST")
        await assert_clean(page, traffic)


async def test_search_facets_narrow_the_results_and_a_miss_says_so(
    shop: Shop, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    async with shop_page(tmp_path) as (page, traffic):
        await page.goto(f"{shop.url}/")
        await search(page, "running shoes")
        heading = page.locator("h1")
        total = int((await heading.text_content() or "").split()[0])

        # In stock only: no sold-out card left, fewer results (the plain shoes are sold out).
        await page.get_by_role("link", name=re.compile(r"^In stock \(\d+\)$")).click()
        await expect(page).to_have_url(re.compile(r"inStock=true"))
        await settled(page)
        await expect(page.get_by_role("link", name=re.compile(r"^✓ In stock"))).to_be_visible()
        in_stock = int((await heading.text_content() or "").split()[0])
        assert 0 < in_stock < total
        await expect(page.locator("#products .stock.out")).to_have_count(0)

        # A price bucket: every price inside it.
        bucket = page.locator(".facets fieldset", has_text="Price").locator("a").first
        label = await bucket.text_content() or ""
        await bucket.click()
        await expect(page).to_have_url(re.compile(r"price=[\d*]+-[\d*]+"))
        await settled(page)
        low, high = re.search(r"price=([\d*]+)-([\d*]+)", page.url).groups()  # type: ignore[union-attr]
        prices = [dollars(p) for p in await page.locator("#products .price").all_text_contents()]
        assert prices, label
        assert all(
            (low == "*" or p >= Decimal(low)) and (high == "*" or p < Decimal(high)) for p in prices
        ), (label, prices)
        await snap(page, "search-facets")

        # The active facet link takes the filter off again.
        await page.get_by_role("link", name=re.compile(r"^✓ In stock")).click()
        await expect(page).not_to_have_url(re.compile("inStock"))

        await page.get_by_role("searchbox", name="Search products").fill("qqxzv")
        await page.get_by_role("searchbox", name="Search products").press("Enter")
        await expect(heading).to_have_text("No results for “qqxzv”")
        await expect(page.locator(".empty")).to_contain_text("Check the spelling")
        await snap(page, "search-empty")
        await assert_clean(page, traffic)


async def test_search_sorts_by_price_and_the_sort_is_kept_in_the_url(
    shop: Shop, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    async with shop_page(tmp_path) as (page, traffic):
        await page.goto(f"{shop.url}/")
        await search(page, "running shoes")
        sort = page.get_by_label("Sort by")
        await expect(sort).to_have_value("RELEVANCE")
        cards = page.locator("#products .card")

        async def every_price() -> list[Decimal]:
            more = page.get_by_role("button", name="Load more")
            while await more.is_visible():  # the later pages keep the sort too
                shown = await cards.count()
                await more.click()
                await expect(cards).not_to_have_count(shown)
            return [dollars(p) for p in await cards.locator(".price").all_text_contents()]

        await sort.select_option("PRICE_ASC")
        await expect(page).to_have_url(re.compile(r"\?q=running\+shoes&sort=PRICE_ASC$"))
        await settled(page)
        ascending = await every_price()
        assert len(ascending) > 1
        assert ascending == sorted(ascending)
        await snap(page, "search-sorted")

        await page.reload()  # a deep link: the sort comes back from the URL
        await settled(page)
        await expect(sort).to_have_value("PRICE_ASC")
        assert await every_price() == ascending

        await sort.select_option("PRICE_DESC")
        await expect(page).to_have_url(re.compile(r"sort=PRICE_DESC$"))
        await settled(page)
        assert await every_price() == sorted(ascending, reverse=True)

        await page.go_back()
        await settled(page)
        await expect(sort).to_have_value("PRICE_ASC")
        await page.go_back()
        await settled(page)
        await expect(page).to_have_url(re.compile(r"\?q=running\+shoes$"))
        await expect(sort).to_have_value("RELEVANCE")
        await assert_clean(page, traffic)


async def test_a_price_bucket_holds_its_lower_bound_and_not_its_upper_one(
    shop: Shop, tmp_path: Path
) -> None:
    """A bucket is [low, high), as the catalog counts it: a product priced exactly at a
    bound is in one bucket only, and choosing a bucket shows as many products as it said."""
    from playwright.async_api import expect

    prices = {"Zephyr Kettle": "24.99", "Zephyr Mug": "25.00", "Zephyr Jug": "49.99"}
    prices["Zephyr Lamp"] = "50.00"
    for name, price in prices.items():
        await shop.create_product(name, price)
    async with shop_page(tmp_path) as (page, traffic):
        await page.goto(f"{shop.url}/")
        for name in prices:  # the index only grows: the last search finds all four
            await search(page, "zephyr", expected=name)
        await expect(page.locator("h1")).to_have_text("4 results for “zephyr”")
        # No category facet: none of them has a category.
        await expect(page.locator(".facets legend")).to_have_text(["Price", "Availability"])
        buckets = page.locator(".facets fieldset", has_text="Price").locator("a")
        await expect(buckets).to_have_text(
            ["Under $25 (1)", f"$25 {DASH} $50 (2)", f"$50 {DASH} $100 (1)"]
        )
        await snap(page, "search-price-buckets")

        for bucket, names in (
            (f"$25 {DASH} $50 (2)", ["Zephyr Jug", "Zephyr Mug"]),
            ("Under $25 (1)", ["Zephyr Kettle"]),
            (f"$50 {DASH} $100 (1)", ["Zephyr Lamp"]),
        ):
            await buckets.filter(has_text=bucket).click()
            await expect(page).to_have_url(re.compile(r"price="))
            await settled(page)
            shown = await page.locator("#products .name").all_text_contents()
            assert sorted(shown) == names, (bucket, shown)
            count = "1 result" if len(names) == 1 else f"{len(names)} results"
            await expect(page.locator("h1")).to_have_text(f"{count} for “zephyr”")
            await page.go_back()
            await expect(buckets).to_have_count(3)
        await assert_clean(page, traffic)


async def test_cart_quantities_remove_and_the_stock_limit(shop: Shop, tmp_path: Path) -> None:
    from playwright.async_api import expect

    async with shop_page(tmp_path) as (page, traffic):
        await sign_up(page, shop.url, "carter")
        for name in ("Running Shoes (Grey)", "Running Shoes (Blue)"):
            await search(page, "running shoes", expected=name)
            await page.get_by_role("link", name=name, exact=True).click()
            await page.get_by_role("button", name="Add to cart").click()
            await expect(page.locator("#cart-message")).to_have_text(re.compile("^Added 1"))
        await page.get_by_role("link", name="Cart (2)").click()
        await expect(page.locator("#subtotal")).to_have_text("$194.80")

        grey = page.get_by_label("Quantity of Running Shoes (Grey)")
        await grey.fill("3")
        await grey.press("Enter")
        await expect(page.locator("#subtotal")).to_have_text("$394.60")
        await expect(page.get_by_role("link", name="Cart (4)")).to_be_visible()

        # More than the stock: the API's reason, and the cart unchanged.
        await page.get_by_label("Quantity of Running Shoes (Grey)").fill("60")
        await page.get_by_label("Quantity of Running Shoes (Grey)").press("Enter")
        await expect(page.get_by_role("alert")).to_have_text(
            re.compile(r"^only \d+ of Running Shoes \(Grey\) in stock$")
        )
        await snap(page, "cart-error")

        # A product in another currency cannot join a dollar cart: the API's reason, and
        # the cart unchanged.
        euros = await shop.create_product("Lisbon Teapot", "20.00", currency="EUR")
        await page.goto(f"{shop.url}/product/{euros}")
        await expect(page.locator("#price")).to_have_text("€20.00")
        await page.get_by_role("button", name="Add to cart").click()
        await expect(page.locator("#cart-message.error")).to_have_text(
            "the cart is in USD; Lisbon Teapot is in EUR"
        )
        await page.get_by_role("link", name="Cart (4)").click()
        await expect(page.locator("#subtotal")).to_have_text("$394.60")

        row = page.locator("tr", has=page.get_by_role("link", name="Running Shoes (Blue)"))
        await row.get_by_role("button", name="Remove").click()
        await expect(page.locator("tbody tr")).to_have_count(1)
        await expect(page.locator("#subtotal")).to_have_text("$299.70")
        await page.get_by_role("button", name="Remove").click()
        await expect(page.locator("h1")).to_have_text("Your cart is empty")
        await expect(page.get_by_role("link", name="Cart", exact=True)).to_be_visible()
        await assert_clean(page, traffic)


async def test_a_failed_order_is_cancelled_and_shows_it_live(shop: Shop, tmp_path: Path) -> None:
    from playwright.async_api import expect

    async with shop_page(tmp_path) as (page, traffic):
        await sign_up(page, shop.url, "canceller")
        await search(page, "running shoes", expected="Running Shoes (Blue)")
        await page.get_by_role("link", name="Running Shoes (Blue)", exact=True).click()
        await page.get_by_role("button", name="Add to cart").click()
        await page.get_by_role("link", name="Cart (1)").click()
        await page.get_by_role("link", name="Go to checkout").click()
        await pay(page, "4000000000000002")
        await page.get_by_role("button", name=re.compile("^Pay")).click()
        status = page.locator("#order-status")
        await expect(status).to_have_attribute("data-status", "PAYMENT_FAILED")
        url = page.url

        await page.get_by_role("button", name="Cancel order").click()
        await expect(status).to_have_attribute("data-status", "CANCELLED")
        await expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)
        assert page.url == url  # live, no reload
        await snap(page, "order-cancelled")
        await page.reload()
        await expect(status).to_have_attribute("data-status", "CANCELLED")
        await assert_clean(page, traffic)


async def test_reviews_come_in_pages_and_sort(shop: Shop, tmp_path: Path) -> None:
    from playwright.async_api import expect

    product_id = await shop.most_reviewed()
    for n, rating in enumerate((1, 5, 3, 2, 4, 5)):  # more than one page, whatever the seed
        await shop.review(f"critic{n}", product_id, rating)
    reviews = await shop.review_count(product_id)
    async with shop_page(tmp_path) as (page, traffic):
        await page.goto(f"{shop.url}/product/{product_id}")
        items = page.locator("#review-list li")
        await expect(items).to_have_count(5)
        await expect(page.locator("#rating-summary")).to_have_text(
            re.compile(rf"^\d\.\d out of 5 \({reviews} reviews\)$")
        )
        await page.get_by_role("button", name="More reviews").click()
        await expect(items).to_have_count(min(reviews, 10))
        if reviews > 10:
            await page.get_by_role("button", name="More reviews").click()
        await expect(items).to_have_count(reviews)
        await expect(page.get_by_role("button", name="More reviews")).to_be_hidden()

        # The reviews added above include a 1 and a 5: each order starts with one of them.
        for sort, descending, top in (("RATING_ASC", False, 1), ("RATING_DESC", True, 5)):
            await page.get_by_label("Sort reviews").select_option(sort)
            await expect(items.first.locator(".stars")).to_have_attribute(
                "aria-label", f"{top} out of 5"
            )
            await expect(items).to_have_count(5)
            labels = await items.locator(".stars").evaluate_all(
                "stars => stars.map(s => s.getAttribute('aria-label'))"
            )
            ratings = [int(label.split()[0]) for label in labels]
            assert ratings == sorted(ratings, reverse=descending), (sort, ratings)
        await snap(page, "product-reviews-sorted")
        await assert_clean(page, traffic)
