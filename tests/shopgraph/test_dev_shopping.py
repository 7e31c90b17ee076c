"""A customer shops through the router of `shopgraph dev`: cart, checkout, payment, live status.

Orders jump across subgraphs in one query (`Order.user` from users,
`OrderLine.product` from catalog), and the status arrives over the commerce
subgraph's graphql-transport-ws subscription.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.websocket import subscribe

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { user { id } accessToken errors { code } }
}"""

ADD = """
mutation Add($id: ID!, $quantity: Int!) {
  addToCart(productId: $id, quantity: $quantity) { cart { itemCount } errors { code } }
}"""

CHECKOUT = """
mutation Checkout($input: CheckoutInput!) {
  checkout(input: $input) { order { id status total { amount } } errors { code message } }
}"""

RETRY = """
mutation Retry($id: ID!, $card: PaymentMethodInput!) {
  retryPayment(orderId: $id, paymentMethod: $card) { order { status } errors { code } }
}"""

ORDER = """
query Order($id: ID!) {
  order(id: $id) {
    status
    user { id username }
    lines { quantity productName product { id name stock } }
    payments { status cardLast4 failureReason }
  }
}"""

STATUS = "subscription S($id: ID!) { orderStatusChanged(orderId: $id) { id status } }"


def card(number: str) -> dict[str, Any]:
    return {"cardNumber": number, "expMonth": 12, "expYear": 2040, "cvc": "123"}


class Customer:
    def __init__(self, dev: httpx.AsyncClient) -> None:
        self.dev = dev
        self.token = ""
        self.user_id = ""

    async def call(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.dev.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def register(self, name: str) -> None:
        account = {"username": name, "email": f"{name}@example.com", "password": "long enough"}
        payload = (await self.call(REGISTER, {"input": account}))["register"]
        assert payload["errors"] == []
        self.token, self.user_id = payload["accessToken"], payload["user"]["id"]

    async def stock(self, product_id: str) -> int:
        query = "query P($id: ID!) { product(id: $id) { stock } }"
        stock: int = (await self.call(query, {"id": product_id}))["product"]["stock"]
        return stock

    async def checkout(self, key: str, number: str) -> str:
        variables = {"input": {"idempotencyKey": key, "paymentMethod": card(number)}}
        payload = (await self.call(CHECKOUT, variables))["checkout"]
        assert payload["errors"] == []
        # No status check: the worker may have settled the payment before the answer.
        order_id: str = payload["order"]["id"]
        return order_id

    async def statuses_until(self, order_id: str, final: str) -> list[str]:
        """The statuses the commerce subscription pushes, up to `final`."""
        url = f"{self.dev.base_url}/subgraphs/commerce/graphql".replace("http", "ws", 1)
        seen = []
        async with subscribe(url, STATUS, {"id": order_id}, token=self.token) as payloads:
            async for payload in payloads:
                assert "errors" not in payload, payload
                seen.append(payload["data"]["orderStatusChanged"]["status"])
                if seen[-1] == final:
                    break
        return seen


async def two_products(customer: Customer) -> list[dict[str, Any]]:
    query = "{ products(first: 2, filter: { inStock: true }) { edges { node { id name stock } } } }"
    edges = (await customer.call(query))["products"]["edges"]
    return [edge["node"] for edge in edges]


async def test_a_paid_order_through_the_router(dev: httpx.AsyncClient) -> None:
    ada = Customer(dev)
    await ada.register("ada")
    first, second = await two_products(ada)
    await ada.call(ADD, {"id": first["id"], "quantity": 2})
    added = await ada.call(ADD, {"id": second["id"], "quantity": 1})
    assert added["addToCart"] == {"cart": {"itemCount": 3}, "errors": []}

    order_id = await ada.checkout("ada-1", "4242424242424242")

    assert (await ada.statuses_until(order_id, "PAID"))[-1] == "PAID"
    order = (await ada.call(ORDER, {"id": order_id}))["order"]
    assert order == {
        "status": "PAID",
        "user": {"id": ada.user_id, "username": "ada"},
        "lines": [
            {
                "quantity": 2,
                "productName": first["name"],
                "product": {"id": first["id"], "name": first["name"], "stock": first["stock"] - 2},
            },
            {
                "quantity": 1,
                "productName": second["name"],
                "product": {
                    "id": second["id"],
                    "name": second["name"],
                    "stock": second["stock"] - 1,
                },
            },
        ],
        "payments": [{"status": "SUCCEEDED", "cardLast4": "4242", "failureReason": None}],
    }
    mine = await ada.call(
        "{ me { orders { totalCount edges { node { id } } } cart { itemCount } } }"
    )
    assert mine["me"] == {
        "orders": {"totalCount": 1, "edges": [{"node": {"id": order_id}}]},
        "cart": {"itemCount": 0},
    }


async def test_a_declined_card_then_a_retry_through_the_router(dev: httpx.AsyncClient) -> None:
    bo = Customer(dev)
    await bo.register("bob")
    product, _ = await two_products(bo)
    await bo.call(ADD, {"id": product["id"], "quantity": 2})

    order_id = await bo.checkout("bob-1", "4000000000000002")

    assert (await bo.statuses_until(order_id, "PAYMENT_FAILED"))[-1] == "PAYMENT_FAILED"
    assert await bo.stock(product["id"]) == product["stock"]

    retried = await bo.call(RETRY, {"id": order_id, "card": card("4242424242424242")})
    assert retried["retryPayment"] == {"order": {"status": "PENDING_PAYMENT"}, "errors": []}
    assert (await bo.statuses_until(order_id, "PAID"))[-1] == "PAID"
    order = (await bo.call(ORDER, {"id": order_id}))["order"]
    assert [p["status"] for p in order["payments"]] == ["FAILED", "SUCCEEDED"]
    assert order["payments"][0]["failureReason"] == "card_declined"
    assert await bo.stock(product["id"]) == product["stock"] - 2
