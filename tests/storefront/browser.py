"""What the storefront's browser tests share: the page, screenshots, and the steps every journey takes.

Debian's Chromium, driven by playwright, reaches only loopback (see
`tests/router/http/browser/chromium.py`). Every console error, uncaught exception
and CSP violation fails a test that ends with `assert_clean`. A screenshot of
each page is saved under $SHOPGRAPH_TEST_ARTIFACTS/storefront (default
.test-artifacts/storefront) for a person to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette

from subgraphs.catalog.products import create_product
from subgraphs.platform.auth.principal import Principal, Role
from subgraphs.social.models import ReviewRow
from subgraphs.users.accounts import create_account
from tests.router.http.browser.chromium import Traffic, loopback_page, require_chromium

if TYPE_CHECKING:
    from playwright.async_api import Page

ARTIFACTS = Path(os.environ.get("SHOPGRAPH_TEST_ARTIFACTS", ".test-artifacts")) / "storefront"
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Shop:
    """The running demo shop: its URL, and its app for what only an operator can do."""

    url: str
    app: Starlette

    async def create_staff(self, username: str, email: str, password: str) -> None:
        """A staff account, made as `shopgraph users create-staff` makes one."""
        users = self.app.state.subgraphs["users"].state.services
        await create_account(users, username, email, password, Role.STAFF)

    async def create_product(
        self, name: str, price: str, stock: int = 5, currency: str = "USD"
    ) -> str:
        """A product in no category, made by a staff member in the catalog; its id."""
        catalog = self.app.state.subgraphs["catalog"].state.services
        staff = Principal(user_id="storefront-tests", role=Role.STAFF)
        description = f"{name}, for the storefront's tests."
        product = await create_product(
            catalog, staff, name, description, Decimal(price), currency, stock, None
        )
        return product.id

    async def most_reviewed(self) -> str:
        """The product with the most reviews."""
        social = self.app.state.subgraphs["social"].state.services
        count = func.count().label("n")
        query = select(ReviewRow.product_id, count).group_by(ReviewRow.product_id)
        async with social.database.session() as session:
            found = await session.execute(query.order_by(count.desc()).limit(1))
        return str(found.scalar_one())

    async def review(self, username: str, product_id: str, rating: int) -> None:
        """A new customer reviews the product through the API, as another browser would."""
        register = "mutation R($input: RegisterInput!) { register(input: $input) { accessToken } }"
        add = "mutation A($input: ReviewInput!) { addReview(input: $input) { errors { code } } }"
        account = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        comment = f"{rating} from {username}"
        async with httpx.AsyncClient(base_url=self.url) as http:
            signed = await http.post(
                "/graphql", json={"query": register, "variables": {"input": account}}
            )
            token = signed.json()["data"]["register"]["accessToken"]
            added = await http.post(
                "/graphql",
                json={
                    "query": add,
                    "variables": {
                        "input": {"productId": product_id, "rating": rating, "comment": comment}
                    },
                },
                headers={"authorization": f"Bearer {token}"},
            )
        assert added.json() == {"data": {"addReview": {"errors": []}}}

    async def review_count(self, product_id: str) -> int:
        """The product's review count, as the API gives it."""
        query = "query C($id: ID!) { product(id: $id) { reviewCount } }"
        async with httpx.AsyncClient(base_url=self.url) as http:
            response = await http.post(
                "/graphql", json={"query": query, "variables": {"id": product_id}}
            )
        return int(response.json()["data"]["product"]["reviewCount"])


CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@asynccontextmanager
async def shop_page(tmp_path: Path) -> AsyncIterator[tuple[Page, Traffic]]:
    """A loopback page that records CSP violations; the demo shop's first pages may take a while."""
    chromium = require_chromium()
    from playwright.async_api import expect

    async with loopback_page(chromium, tmp_path / "failure.png") as (page, traffic):
        page.set_default_timeout(20_000)
        expect.set_options(timeout=20_000)
        await page.add_init_script(CSP_WATCH)  # runs before the page, so the CSP does not apply
        yield page, traffic


async def snap(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


async def settled(page: Page) -> None:
    """Waits until the page the app is on has finished loading (`main` is no longer aria-busy).

    `main` is busy from the first byte of the page, and the app marks it busy as
    soon as a navigation starts (in the click or popstate itself), so this never
    sees the page before.
    """
    await page.locator("main:not([aria-busy])").wait_for()


async def search(page: Page, query: str, expected: str = "Running Shoes") -> None:
    """Searches with the header's searchbox until the demo catalog's index finds `expected`."""
    from playwright.async_api import expect

    await settled(page)  # the app has loaded and listens to the search form
    box = page.get_by_role("searchbox", name="Search products")
    for _ in range(40):
        await box.fill(query)
        await box.press("Enter")
        await expect(page.locator("h1")).to_have_text(re.compile("results? for|No results"))
        if await page.get_by_role("link", name=expected, exact=True).count():
            return
        await page.wait_for_timeout(250)  # the catalog's index has not caught up yet
    raise AssertionError(f"the search never found {expected}")


async def sign_up(page: Page, shop: str, username: str) -> None:
    from playwright.async_api import expect

    await page.goto(f"{shop}/account")
    await page.get_by_label("Username").fill(username)
    await page.locator("#sign-up-email").fill(f"{username}@example.com")
    await page.locator("#sign-up-password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.locator("h1")).to_have_text(f"Hello, {username}")


async def sign_in(page: Page, shop: str, email: str, password: str) -> None:
    await page.goto(f"{shop}/account")
    await page.locator("#sign-in-email").fill(email)
    await page.locator("#sign-in-password").fill(password)
    await page.get_by_role("button", name="Sign in", exact=True).click()


async def pay(page: Page, card: str) -> None:
    await page.get_by_label("Card number").fill(card)
    await page.get_by_label("Expiry (MM/YY)").fill("12/40")
    await page.get_by_label("CVC").fill("123")


def sent(traffic: Traffic, operation: str) -> int:
    """How many times the page sent the trusted document `operation`."""
    return sum(f'"operationName":"{operation}"' in (body or "") for _, _, body in traffic.requests)


async def assert_clean(page: Page, traffic: Traffic) -> None:
    """No console errors, uncaught exceptions, CSP violations (since the last load) or foreign requests."""
    assert await page.evaluate("window.__cspViolations") == []
    assert traffic.console_errors == []
    assert traffic.blocked == []
