"""Reviews through the router of `shopgraph dev`: the product listing with ratings and
reviews in one query (with its SQL budget per subgraph), and verified purchases made by
real checkouts that the payments worker charges."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from shopgraph.dev import create_dev_app
from shopgraph.loopback import free_port, served
from subgraphs.catalog.search.port import SearchQuery
from subgraphs.catalog.seed_data import demo_products
from subgraphs.commerce.models import outbox as commerce_outbox
from subgraphs.platform.auth import Role
from subgraphs.platform.settings import Settings
from subgraphs.social.feeds import CATALOG_GROUP
from subgraphs.social.models import inbox
from subgraphs.users.accounts import create_account
from tests.statements import recorded_statements

LISTING = """
{
  products(first: 20) {
    edges { node {
      id name averageRating reviewCount
      reviews(first: 3) { totalCount edges { node { rating comment author { username } } } }
    } }
  }
}"""

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { user { id } accessToken errors { code } }
}"""
LOGIN = """
mutation Login($input: LoginInput!) { login(input: $input) { accessToken errors { code } } }"""
ADD_TO_CART = """
mutation Add($id: ID!) { addToCart(productId: $id, quantity: 1) { errors { code } } }"""
CHECKOUT = """
mutation Checkout($input: CheckoutInput!) {
  checkout(input: $input) { order { id } errors { code } }
}"""
RETRY = """
mutation Retry($id: ID!, $card: PaymentMethodInput!) {
  retryPayment(orderId: $id, paymentMethod: $card) { order { status } errors { code } }
}"""
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

DECLINED, SUCCEEDS = "4000000000000002", "4242424242424242"


def card(number: str) -> dict[str, Any]:
    return {"cardNumber": number, "expMonth": 12, "expYear": 2040, "cvc": "123"}


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Starlette]]:
    port = free_port()
    app = create_dev_app(settings, port)
    async with (
        served(app, port) as url,
        httpx.AsyncClient(base_url=url, timeout=15) as client,
    ):
        yield client, app


async def call(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, token: str = ""
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def eventually(read: Any, done: Any, seconds: float = 15.0) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = await read()
        if done(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not done after {seconds} s: {value!r}")
        await asyncio.sleep(0.05)


async def _quiet(app: Starlette) -> None:
    """Waits until the seeded products went through every consumer (the search indexer,
    social's catalog feed), so the statements counted next are the request's own."""
    subgraphs = app.state.subgraphs
    catalog, social = subgraphs["catalog"].state.services, subgraphs["social"].state.services
    seeded = len(demo_products())

    async def handled() -> tuple[int, int]:
        indexed = (await catalog.search.search(SearchQuery(text="", first=1))).total
        async with social.database.session() as session:
            fed = await session.scalar(
                select(func.count()).select_from(inbox).where(inbox.c.consumer == CATALOG_GROUP)
            )
        return indexed, int(fed or 0)

    await eventually(handled, lambda counts: counts == (seeded, seeded))
    await asyncio.sleep(0.1)  # the last index write returns after its count shows


async def test_one_query_lists_20_products_with_ratings_and_reviews(
    shop: tuple[httpx.AsyncClient, Starlette],
) -> None:
    client, app = shop
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
        data = await call(client, LISTING)
    # products(first: 20): one; the products' ratings and their review pages: one each;
    # every author's username: one; commerce is not asked.
    assert (len(catalog), len(social), len(users), len(commerce)) == (1, 2, 1, 0), (
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
    assert await call(client, LISTING) == data


async def _customer(client: httpx.AsyncClient, name: str) -> str:
    account = {"username": name, "email": f"{name}@example.com", "password": "long enough"}
    payload = (await call(client, REGISTER, {"input": account}))["register"]
    assert payload["errors"] == []
    token: str = payload["accessToken"]
    return token


async def _buy(
    client: httpx.AsyncClient, token: str, product_id: str, key: str, number: str
) -> str:
    assert (await call(client, ADD_TO_CART, {"id": product_id}, token))["addToCart"]["errors"] == []
    variables = {"input": {"idempotencyKey": key, "paymentMethod": card(number)}}
    placed = (await call(client, CHECKOUT, variables, token))["checkout"]
    assert placed["errors"] == []
    order_id: str = placed["order"]["id"]
    return order_id


async def _status(client: httpx.AsyncClient, token: str, order_id: str, wanted: str) -> None:
    async def read() -> str:
        status: str = (await call(client, ORDER, {"id": order_id}, token))["order"]["status"]
        return status

    await eventually(read, lambda status: status == wanted)


async def _review(client: httpx.AsyncClient, token: str, product_id: str) -> dict[str, Any]:
    variables = {"input": {"productId": product_id, "rating": 5, "comment": "Bought it, love it."}}
    payload = (await call(client, ADD_REVIEW, variables, token))["addReview"]
    assert payload["errors"] == [], payload
    review: dict[str, Any] = payload["review"]
    return review


async def test_a_payment_after_the_review_verifies_it_and_a_refund_keeps_it(
    shop: tuple[httpx.AsyncClient, Starlette],
) -> None:
    client, app = shop
    products = await call(
        client, "{ products(first: 2, filter: { inStock: true }) { edges { node { id name } } } }"
    )
    first, second = (edge["node"] for edge in products["products"]["edges"])
    token = await _customer(client, "reviewer")

    # Paid before the review: verified from the start.
    paid = await _buy(client, token, first["id"], "buy-1", SUCCEEDS)
    await _status(client, token, paid, "PAID")
    review = await _review(client, token, first["id"])
    assert review["verifiedPurchase"] is True
    assert review["author"] == {"username": "reviewer"}
    assert review["product"] == {"name": first["name"]}

    # Declined, reviewed, then paid with another card: verified once the payment completes.
    later = await _buy(client, token, second["id"], "buy-2", DECLINED)
    await _status(client, token, later, "PAYMENT_FAILED")
    unverified = await _review(client, token, second["id"])
    assert unverified["verifiedPurchase"] is False
    retried = await call(client, RETRY, {"id": later, "card": card(SUCCEEDS)}, token)
    assert retried["retryPayment"]["errors"] == []
    await _status(client, token, later, "PAID")

    async def verified() -> bool:
        found: bool = (await call(client, REVIEW, {"id": unverified["id"]}))["review"][
            "verifiedPurchase"
        ]
        return found

    assert await eventually(verified, bool)

    # A refund does not take the mark away: the purchase happened.
    users = app.state.subgraphs["users"].state.services
    await create_account(users, "boss", "boss@example.com", "long enough", role=Role.STAFF)
    login = await call(
        client, LOGIN, {"input": {"email": "boss@example.com", "password": "long enough"}}
    )
    staff = login["login"]["accessToken"]
    refunded = await call(client, REFUND, {"id": later}, staff)
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

    await eventually(handled, lambda count: count == 1)
