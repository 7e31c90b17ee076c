"""The seed's REST API through the router of `shopgraph dev`, over trusted documents, and
its OpenAPI 3.1 document validated with openapi-spec-validator."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from openapi_spec_validator import validate

from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.keys import load_key_pair
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.platform.settings import Settings
from tests.subgraphs.insights.conftest import eventually


def card() -> dict[str, Any]:
    return {"cardNumber": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123"}


def codes(response: httpx.Response) -> tuple[int, list[str]]:
    return response.status_code, [e["code"] for e in response.json()["errors"]]


async def test_openapi_document_is_valid_and_lists_the_routes(dev: httpx.AsyncClient) -> None:
    response = await dev.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert {(path, method) for path, ops in document["paths"].items() for method in ops} == {
        ("/api/register", "post"),
        ("/api/login", "post"),
        ("/api/users/{id}", "get"),
        ("/api/products", "get"),
        ("/api/products", "post"),
        ("/api/products/{id}", "get"),
        ("/api/products/{id}", "put"),
        ("/api/products/{id}", "delete"),
        ("/api/cart/add", "post"),
        ("/api/cart", "get"),
        ("/api/orders", "post"),
        ("/api/orders/{id}", "get"),
        ("/api/search", "get"),
        ("/api/reviews", "post"),
        ("/api/reviews/{productId}", "get"),
        ("/api/recommendations", "get"),
    }
    search = document["paths"]["/api/search"]["get"]["parameters"]
    assert [(p["name"], p["required"]) for p in search if "." not in p["name"]] == [
        ("q", True),
        ("first", False),
        ("after", False),
        ("sort", False),
    ]


async def test_a_customer_shops_over_rest(dev: httpx.AsyncClient) -> None:
    account = {"username": "resty", "email": "resty@example.com", "password": "long enough"}
    registered = await dev.post("/api/register", json=account)
    assert registered.status_code == 201, registered.text
    user = registered.json()["user"]
    assert (user["username"], user["email"], user["role"]) == (
        "resty",
        "resty@example.com",
        "CUSTOMER",
    )
    assert set(registered.json()) == {"user", "accessToken", "refreshToken"}
    assert codes(await dev.post("/api/register", json=account)) == (
        409,
        ["USERNAME_TAKEN", "EMAIL_TAKEN"],
    )

    wrong = {"email": account["email"], "password": "not the one"}
    assert codes(await dev.post("/api/login", json=wrong)) == (401, ["INVALID_CREDENTIALS"])
    login = await dev.post(
        "/api/login", json={"email": account["email"], "password": account["password"]}
    )
    assert login.status_code == 200
    auth = {"authorization": f"Bearer {login.json()['accessToken']}"}

    me = await dev.get(f"/api/users/{user['id']}", headers=auth)
    assert (me.status_code, me.json()["username"]) == (200, "resty")

    page = await dev.get(
        "/api/products", params={"first": "2", "sort": "PRICE_ASC", "filter.inStock": "true"}
    )
    assert page.status_code == 200
    edges = page.json()["edges"]
    assert len(edges) == 2
    assert all(e["node"]["inStock"] for e in edges)
    assert codes(await dev.get("/api/products", params={"first": "two"})) == (400, ["BAD_REQUEST"])

    product_id = edges[0]["node"]["id"]
    product = await dev.get(f"/api/products/{product_id}")
    assert (product.status_code, product.json()["id"]) == (200, product_id)
    assert codes(await dev.get("/api/products/999999999")) == (404, ["NOT_FOUND"])

    # The demo catalog reaches the search index through events: wait until it has.
    for _ in range(200):
        found = await dev.get("/api/search", params={"q": "shoes", "first": "5"})
        assert found.status_code == 200
        if found.json()["totalCount"]:
            break
        await asyncio.sleep(0.05)
    assert len(found.json()["edges"]) == 5

    added = await dev.post(
        "/api/cart/add", json={"productId": product_id, "quantity": 2}, headers=auth
    )
    assert (added.status_code, added.json()["cart"]["itemCount"]) == (200, 2)
    cart = await dev.get("/api/cart", headers=auth)
    assert (cart.status_code, cart.json()["itemCount"]) == (200, 2)

    order = await dev.post(
        "/api/orders",
        json={"idempotencyKey": "rest-checkout-1", "paymentMethod": card()},
        headers=auth,
    )
    assert order.status_code == 201, order.text
    order_id = order.json()["order"]["id"]
    fetched = await dev.get(f"/api/orders/{order_id}", headers=auth)
    assert (fetched.status_code, fetched.json()["id"]) == (200, order_id)
    assert [line["quantity"] for line in fetched.json()["lines"]] == [2]


async def test_auth_errors_map_to_401_and_403(dev: httpx.AsyncClient) -> None:
    assert (await dev.get("/api/cart")).status_code == 401
    account = {"username": "notstaff", "email": "notstaff@example.com", "password": "long enough"}
    token = (await dev.post("/api/register", json=account)).json()["accessToken"]
    auth = {"authorization": f"Bearer {token}"}
    product = {"name": "Lamp", "description": "A lamp", "price": "10.00", "stock": 1}
    assert codes(await dev.post("/api/products", json=product, headers=auth))[0] == 403
    assert codes(await dev.delete("/api/products/1", headers=auth))[0] == 403
    bad = await dev.get("/api/cart", headers={"authorization": "Bearer nonsense"})
    assert codes(bad) == (401, ["UNAUTHENTICATED"])


async def test_a_customer_reviews_over_rest(
    dev: httpx.AsyncClient,
) -> None:
    account = {"username": "critic", "email": "critic@example.com", "password": "long enough"}
    token = (await dev.post("/api/register", json=account)).json()["accessToken"]
    auth = {"authorization": f"Bearer {token}"}
    product_id = (await dev.get("/api/products", params={"first": "1"})).json()["edges"][0]["node"][
        "id"
    ]

    # The demo data has reviews of its own: compare with what was there before.
    before = (await dev.get(f"/api/reviews/{product_id}", params={"first": "50"})).json()
    review = {"productId": product_id, "rating": 4, "comment": "Does the job."}
    assert (await dev.post("/api/reviews", json=review)).status_code == 401
    added = await dev.post("/api/reviews", json=review, headers=auth)
    assert added.status_code == 201, added.text
    created = added.json()["review"]
    assert (created["product"]["id"], created["author"]["username"], created["rating"]) == (
        product_id,
        "critic",
        4,
    )
    assert (created["comment"], created["status"], created["verifiedPurchase"]) == (
        "Does the job.",
        "PUBLISHED",
        False,
    )
    assert codes(await dev.post("/api/reviews", json=review, headers=auth)) == (
        409,
        ["ALREADY_REVIEWED"],
    )
    bad = {"productId": product_id, "rating": 9, "comment": "Too good."}
    assert codes(await dev.post("/api/reviews", json=bad, headers=auth)) == (
        400,
        ["INVALID_RATING"],
    )

    listed = await dev.get(f"/api/reviews/{product_id}", params={"first": "50"})
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert (body["id"], body["reviewCount"]) == (product_id, before["reviewCount"] + 1)
    assert [(e["node"]["id"], e["node"]["rating"]) for e in body["reviews"]["edges"]] == [
        (created["id"], 4)
    ] + [(e["node"]["id"], e["node"]["rating"]) for e in before["reviews"]["edges"]]
    assert body["reviews"]["totalCount"] == before["reviews"]["totalCount"] + 1
    assert codes(await dev.get("/api/reviews/999999999")) == (404, ["NOT_FOUND"])

    assert codes(await dev.get("/api/recommendations", params={"first": "x"})) == (
        400,
        ["BAD_REQUEST"],
    )


async def test_staff_create_update_and_delete_a_product_over_rest(
    dev: httpx.AsyncClient, settings: Settings
) -> None:
    token = AccessTokens(load_key_pair(settings), settings).issue(Principal("staff-1", Role.STAFF))
    staff = {"authorization": f"Bearer {token}"}
    lamp = {"name": "Desk lamp", "description": "A lamp for a desk", "price": "24.50", "stock": 3}
    created = await dev.post("/api/products", json=lamp, headers=staff)
    assert created.status_code == 201, created.text
    product = created.json()["product"]
    assert (product["name"], product["price"], product["stock"]) == (
        "Desk lamp",
        {"amount": "24.50", "currency": "USD"},
        3,
    )
    assert set(created.json()) == {"product"}  # a payload's empty `errors` is dropped
    assert (
        codes(await dev.post("/api/products", json={**lamp, "price": "-1"}, headers=staff))[0]
        == 400
    )

    path = f"/api/products/{product['id']}"
    updated = await dev.put(path, json={"price": "19.99", "stock": 5}, headers=staff)
    assert updated.status_code == 200, updated.text
    assert (updated.json()["product"]["price"]["amount"], updated.json()["product"]["stock"]) == (
        "19.99",
        5,
    )
    fetched = await dev.get(path)
    assert (fetched.json()["name"], fetched.json()["price"]["amount"]) == ("Desk lamp", "19.99")

    deleted = await dev.delete(path, headers=staff)
    assert (deleted.status_code, deleted.json()) == (200, {"deletedId": product["id"]})
    assert codes(await dev.get(path)) == (404, ["NOT_FOUND"])
    assert codes(await dev.put(path, json={"stock": 1}, headers=staff)) == (
        404,
        ["PRODUCT_NOT_FOUND"],
    )


async def test_recommendations_over_rest_follow_what_sells(dev: httpx.AsyncClient) -> None:
    """The demo shop has sold nothing: one paid order of two products makes them the
    popular ones, for anonymous visitors and for a customer who bought nothing yet."""
    buyer = {"username": "buyer", "email": "buyer@example.com", "password": "long enough"}
    auth = {
        "authorization": f"Bearer {(await dev.post('/api/register', json=buyer)).json()['accessToken']}"
    }
    page = await dev.get("/api/products", params={"first": "2", "filter.inStock": "true"})
    x, y = sorted(edge["node"]["id"] for edge in page.json()["edges"])
    for product_id in (x, y):
        added = await dev.post(
            "/api/cart/add", json={"productId": product_id, "quantity": 1}, headers=auth
        )
        assert added.status_code == 200, added.text
    order = await dev.post(
        "/api/orders",
        json={"idempotencyKey": "rest-popular", "paymentMethod": card()},
        headers=auth,
    )
    assert order.status_code == 201, order.text

    # Paid orders reach the recommendation tables through events: co-purchases and
    # popularity move in one transaction, and co-purchases are read uncached.
    together = "query P($id: ID!) { product(id: $id) { frequentlyBoughtTogether { id } } }"

    async def bought_with_x() -> list[dict[str, Any]]:
        answer = await dev.post("/graphql", json={"query": together, "variables": {"id": x}})
        found: list[dict[str, Any]] = answer.json()["data"]["product"]["frequentlyBoughtTogether"]
        return found

    assert await eventually(bought_with_x, [{"id": y}]) == [{"id": y}]

    popular = await dev.get("/api/recommendations", params={"first": "2"})
    assert popular.status_code == 200, popular.text
    assert [(p["id"], set(p)) for p in popular.json()] == [
        (x, {"id", "name", "price", "inStock"}),
        (y, {"id", "name", "price", "inStock"}),
    ]
    query = "{ recommendations(first: 2) { id name price { amount currency } inStock } }"
    graphql = await dev.post("/graphql", json={"query": query})
    assert popular.json() == graphql.json()["data"]["recommendations"]

    newcomer = {"username": "newcomer", "email": "newcomer@example.com", "password": "long enough"}
    token = (await dev.post("/api/register", json=newcomer)).json()["accessToken"]
    personal = await dev.get(
        "/api/recommendations", params={"first": "2"}, headers={"authorization": f"Bearer {token}"}
    )
    assert (personal.status_code, [p["id"] for p in personal.json()]) == (200, [x, y])
