"""A running shop per test: catalog and commerce on real loopback ports, sharing one
platform (bus, pub/sub), with the payments worker consuming, on each storage backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from shopgraph.loopback import free_port, served
from subgraphs.catalog.app import create_app as create_catalog
from subgraphs.commerce.app import create_app as create_commerce
from subgraphs.commerce.payments.worker import running_payments_worker
from subgraphs.commerce.queues import SUBSCRIPTIONS
from subgraphs.commerce.services import CommerceServices
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.platform.resources import SharedPlatform
from subgraphs.platform.settings import Settings
from tests.graphql import execute

SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
TRANSIENT_TWICE = "4000000000000119"

SETTLE_SECONDS = 15.0

ORDER_FIELDS = """
  id status total { amount currency } user { id }
  lines { product { id } productName quantity unitPrice { amount currency } lineTotal { amount } }
  payments { id status amount { amount } failureReason cardBrand cardLast4 }
"""

CHECKOUT = f"""
mutation Checkout($input: CheckoutInput!) {{
  checkout(input: $input) {{ order {{ {ORDER_FIELDS} }} errors {{ field code message }} }}
}}"""

ADD = """
mutation Add($productId: ID!, $quantity: Int! = 1) {
  addToCart(productId: $productId, quantity: $quantity) {
    cart { lines { product { id } quantity unitPrice { amount currency } lineTotal { amount } }
           subtotal { amount currency } itemCount }
    errors { field code message }
  }
}"""

ORDER = f"query Order($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"


def card(number: str = SUCCEEDS) -> dict[str, Any]:
    return {"cardNumber": number, "expMonth": 12, "expYear": 2040, "cvc": "123"}


@dataclass
class Shop:
    settings: Settings
    catalog_url: str
    commerce_url: str
    http: httpx.AsyncClient
    tokens: AccessTokens
    commerce: CommerceServices
    staff_token: str

    def token(self, user_id: str, role: Role = Role.CUSTOMER) -> str:
        return self.tokens.issue(Principal(user_id, role))

    async def query(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        return await execute(self.http, query, variables, token, path=self.commerce_url)

    async def catalog(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        return await execute(self.http, query, variables, token, path=self.catalog_url)

    async def product(self, stock: int = 5, price: str = "10.00", **fields: Any) -> str:
        values = {"name": "Thing", "description": "A thing.", "price": price, "stock": stock}
        body = await self.catalog(
            "mutation C($input: ProductInput!) { createProduct(input: $input) "
            "{ product { id } errors { code } } }",
            {"input": {**values, **fields}},
            self.staff_token,
        )
        assert body["data"]["createProduct"]["errors"] == [], body
        product_id: str = body["data"]["createProduct"]["product"]["id"]
        return product_id

    async def stock(self, product_id: str) -> int:
        body = await self.catalog(
            "query P($id: ID!) { product(id: $id) { stock } }", {"id": product_id}
        )
        stock: int = body["data"]["product"]["stock"]
        return stock

    async def add(self, token: str, product_id: str, quantity: int = 1) -> dict[str, Any]:
        body = await self.query(ADD, {"productId": product_id, "quantity": quantity}, token)
        payload: dict[str, Any] = body["data"]["addToCart"]
        return payload

    async def checkout(
        self, token: str, key: str = "key-1", number: str = SUCCEEDS
    ) -> dict[str, Any]:
        body = await self.query(
            CHECKOUT, {"input": {"idempotencyKey": key, "paymentMethod": card(number)}}, token
        )
        payload: dict[str, Any] = body["data"]["checkout"]
        return payload

    async def order(self, order_id: str, token: str) -> dict[str, Any] | None:
        body = await self.query(ORDER, {"id": order_id}, token)
        order: dict[str, Any] | None = body["data"]["order"]
        return order

    async def settled(
        self, order_id: str, token: str, within: float = SETTLE_SECONDS
    ) -> dict[str, Any]:
        """The order once it has left PENDING_PAYMENT (the worker charged it)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            order = await self.order(order_id, token)
            assert order is not None
            if order["status"] != "PENDING_PAYMENT":
                return order
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"order {order_id} is still {order['status']}")
            await asyncio.sleep(0.05)


@asynccontextmanager
async def open_shop(
    settings: Settings, *, worker: bool = True, commerce: CommerceSettings | None = None
) -> AsyncIterator[Shop]:
    catalog_port, commerce_port = free_port(), free_port()
    catalog_url = f"http://127.0.0.1:{catalog_port}/graphql"
    commerce = (commerce or CommerceSettings()).model_copy(update={"catalog_url": catalog_url})
    shared = SharedPlatform()
    async with AsyncExitStack() as stack:
        # Commerce's groups are declared before its relay first publishes, as the
        # launcher's registry (shopgraph/subscriptions.py) has them declared.
        platform = await stack.enter_async_context(shared.open(settings, SUBSCRIPTIONS))
        await stack.enter_async_context(
            served(create_catalog(settings, shared.borrow), catalog_port)
        )
        commerce_app = create_commerce(settings, shared.borrow, commerce)
        await stack.enter_async_context(served(commerce_app, commerce_port))
        services: CommerceServices = commerce_app.state.services
        if worker:
            await stack.enter_async_context(running_payments_worker(services))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=30))
        yield Shop(
            settings,
            catalog_url,
            f"http://127.0.0.1:{commerce_port}/graphql",
            http,
            platform.tokens,
            services,
            platform.tokens.issue(Principal("staff-1", Role.STAFF)),
        )


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[Shop]:
    async with open_shop(settings) as running:
        yield running
