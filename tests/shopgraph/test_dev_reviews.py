"""Reviews through the router of `shopgraph dev`: the product listing with ratings and
reviews in one query (with its SQL budget per subgraph), and verified purchases made by
real checkouts that the payments worker charges."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from shopgraph.dev import create_dev_app
from shopgraph.loopback import free_port, served
from subgraphs.catalog.indexer import CONSUMER as INDEXER
from subgraphs.catalog.search.port import SearchQuery
from subgraphs.catalog.seed_data import demo_products
from subgraphs.commerce.models import outbox as commerce_outbox
from subgraphs.platform.auth import Role
from subgraphs.platform.events import InProcessBus
from subgraphs.platform.settings import Settings
from subgraphs.social.models import inbox
from subgraphs.social.subscriptions import CATALOG_GROUP
from subgraphs.users.accounts import create_account
from tests.shopgraph.test_dev_shopping import ADD, RETRY, Customer, card, two_products
from tests.statements import recorded_statements
from tests.subgraphs.commerce.conftest import DECLINED, SETTLE_SECONDS, SUCCEEDS
from tests.subgraphs.commerce.helpers import eventually

LISTING = """
{
  products(first: 20) {
    edges { node {
      id name averageRating reviewCount
      reviews(first: 3) { totalCount edges { node { rating comment author { username } } } }
    } }
  }
}"""

LOGIN = """
mutation Login($input: LoginInput!) { login(input: $input) { accessToken errors { code } } }"""
ORDER = "query O($id: ID!) { order(id: $id) { status } }"
REFUND = "mutation R($id: ID!) { refundOrder(id: $id) { order { status } errors { code } } }"
ADD_REVIEW = """
mutation Review($input: ReviewInput!) {
  addReview(input: $input) {
    review { id verifiedPurchase author { username } product { name } }
    errors { code }
  }
}"""
REVIEW = """
query R($id: ID!) { review(id: $id) { verifiedPurchase author { username } product { id } } }"""


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Starlette]]:
    port = free_port()
    app = create_dev_app(settings, port)
    async with (
        served(app, port) as url,
        httpx.AsyncClient(base_url=url, timeout=15) as client,
    ):
        yield client, app


async def _quiet(app: Starlette) -> None:
    """Waits until the seeded products went through every consumer (the search indexer,
    social's catalog feed), so the statements counted next are the request's own."""
    subgraphs = app.state.subgraphs
    catalog, social = subgraphs["catalog"].state.services, subgraphs["social"].state.services
    seeded = len(demo_products())
    bus = catalog.bus
    assert isinstance(bus, InProcessBus), "shopgraph dev runs on the in-process bus"

    async def handled() -> tuple[int, int, int]:
        indexed = (await catalog.search.search(SearchQuery(text="", first=1))).total
        async with social.database.session() as session:
            fed = await session.scalar(
                select(func.count()).select_from(inbox).where(inbox.c.consumer == CATALOG_GROUP)
            )
        # Idle: every delivery settled, so no index write is still on its way back.
        return indexed, int(fed or 0), bus.backlog(INDEXER) + bus.backlog(CATALOG_GROUP)

    await eventually(handled, lambda counts: counts == (seeded, seeded, 0), SETTLE_SECONDS)


async def test_one_query_lists_20_products_with_ratings_and_reviews(
    shop: tuple[httpx.AsyncClient, Starlette],
) -> None:
    client, app = shop
    anonymous = Customer(client)
    await _quiet(app)
    engines = {
        name: app.state.subgraphs[name].state.services.database.engine
        for name in ("users", "catalog", "social", "commerce")
    }
    with (
        recorded_statements(engines["users"]) as users,
        recorded_statements(engines["catalog"]) as catalog,
        recorded_statements(engines["social"]) as social,
        recorded_statements(engines["commerce"]) as commerce,
    ):
        data = await anonymous.call(LISTING)
    # products(first: 20): one; the products' ratings with their review pages: one;
    # every author's username: one; commerce is not asked.
    assert (len(catalog), len(social), len(users), len(commerce)) == (1, 1, 1, 0), (
        catalog,
        social,
        users,
    )
    nodes = [edge["node"] for edge in data["products"]["edges"]]
    assert len(nodes) == 20
    reviewed = [n for n in nodes if n["reviewCount"]]
    assert reviewed, "the demo shop has reviews"
    for node in nodes:
        edges = node["reviews"]["edges"]
        assert node["reviews"]["totalCount"] == node["reviewCount"]
        assert len(edges) == min(3, node["reviewCount"])
        assert all(e["node"]["author"]["username"].startswith("demo.") for e in edges)
        if node["reviewCount"] == 0:
            assert node["averageRating"] is None
        else:
            assert 1 <= node["averageRating"] <= 5
    # The same answer again: the demo data is deterministic and nothing moved.
    assert await anonymous.call(LISTING) == data


async def _buy(customer: Customer, product_id: str, key: str, number: str) -> str:
    added = await customer.call(ADD, {"id": product_id, "quantity": 1})
    assert added["addToCart"]["errors"] == []
    return await customer.checkout(key, number)


async def _status(customer: Customer, order_id: str, wanted: str) -> None:
    async def read() -> str:
        status: str = (await customer.call(ORDER, {"id": order_id}))["order"]["status"]
        return status

    await eventually(read, lambda status: status == wanted, SETTLE_SECONDS)


async def _review(customer: Customer, product_id: str) -> dict[str, Any]:
    variables = {"input": {"productId": product_id, "rating": 5, "comment": "Bought it, love it."}}
    payload = (await customer.call(ADD_REVIEW, variables))["addReview"]
    assert payload["errors"] == [], payload
    review: dict[str, Any] = payload["review"]
    return review


async def test_a_payment_after_the_review_verifies_it_and_a_refund_keeps_it(
    shop: tuple[httpx.AsyncClient, Starlette],
) -> None:
    client, app = shop
    reviewer = Customer(client)
    await reviewer.register("reviewer")
    first, second = await two_products(reviewer)

    # Paid before the review: verified from the start.
    paid = await _buy(reviewer, first["id"], "buy-1", SUCCEEDS)
    await _status(reviewer, paid, "PAID")
    await _inbox_has(app, paid, "PAID")  # commerce says PAID before social has heard it
    review = await _review(reviewer, first["id"])
    assert review["verifiedPurchase"] is True
    assert review["author"] == {"username": "reviewer"}
    assert review["product"] == {"name": first["name"]}

    # Declined, reviewed, then paid with another card: verified once the payment completes.
    later = await _buy(reviewer, second["id"], "buy-2", DECLINED)
    await _status(reviewer, later, "PAYMENT_FAILED")
    unverified = await _review(reviewer, second["id"])
    assert unverified["verifiedPurchase"] is False
    retried = await reviewer.call(RETRY, {"id": later, "card": card(SUCCEEDS)})
    assert retried["retryPayment"]["errors"] == []
    await _status(reviewer, later, "PAID")

    async def verified() -> bool:
        found = await Customer(client).call(REVIEW, {"id": unverified["id"]})
        return bool(found["review"]["verifiedPurchase"])

    assert await eventually(verified, bool, SETTLE_SECONDS)

    # A refund does not take the mark away: the purchase happened.
    users = app.state.subgraphs["users"].state.services
    await create_account(users, "boss", "boss@example.com", "long enough", role=Role.STAFF)
    staff = Customer(client)
    login = await staff.call(
        LOGIN, {"input": {"email": "boss@example.com", "password": "long enough"}}
    )
    staff.token = login["login"]["accessToken"]
    refunded = await staff.call(REFUND, {"id": later})
    assert refunded["refundOrder"] == {"order": {"status": "REFUNDED"}, "errors": []}
    await _inbox_has(app, later, "REFUNDED")
    assert await verified() is True


async def _inbox_has(app: Starlette, order_id: str, status: str) -> None:
    """Waits until social handled the order's move to `status` (an idle signal, not a sleep)."""
    commerce = app.state.subgraphs["commerce"].state.services
    social = app.state.subgraphs["social"].state.services
    async with commerce.database.session() as session:
        rows = (
            await session.execute(
                select(commerce_outbox.c.id, commerce_outbox.c.payload).where(
                    commerce_outbox.c.subject_id == order_id
                )
            )
        ).all()
    wanted = [str(row.id) for row in rows if f'"to":"{status}"' in row.payload]
    assert len(wanted) == 1, rows

    async def handled() -> int:
        async with social.database.session() as session:
            return int(
                await session.scalar(
                    select(func.count()).select_from(inbox).where(inbox.c.event_id == wanted[0])
                )
                or 0
            )

    await eventually(handled, lambda count: count == 1, SETTLE_SECONDS)
