"""`shopgraph dev` on a real port, with customers who check out and follow their orders.

Payments retry quickly here: the simulator's transient card (two failures, then
success) keeps an order PENDING_PAYMENT for about 2.5 s, long enough to see that
status on subscribing, and then PAID.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette

from router.config import RouterConfig
from router.http import create_router_app
from router.reload import LiveGateway
from router.subscriptions import SubscriptionHub
from shopgraph.dev import create_dev_app
from shopgraph.loopback import free_port, served
from shopgraph.registry import SubgraphEntry
from shopgraph.supergraph import compose_subgraphs
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.keys import load_key_pair
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.platform.settings import Settings
from tests.proxy import TcpProxy

TRANSIENT_CARD = "4000000000000119"  # fails twice, then succeeds
STATUS = """subscription Status($id: ID!) {
  orderStatusChanged(orderId: $id) { status user { username } lines { product { name } } }
}"""


@dataclass
class Customer:
    name: str
    user_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}


@dataclass
class DevShop:
    url: str
    http: httpx.AsyncClient
    app: Starlette
    tokens: AccessTokens
    ttl: timedelta

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ws_url(self) -> str:
        return self.graphql_url.replace("http", "ws", 1)

    @property
    def hub(self) -> SubscriptionHub:
        hub: SubscriptionHub = self.app.state.router.state.subscriptions
        return hub

    async def call(
        self, query: str, variables: dict[str, Any], customer: Customer | None = None
    ) -> dict[str, Any]:
        headers = customer.headers if customer else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def register(self, name: str) -> Customer:
        query = """mutation R($input: RegisterInput!) {
          register(input: $input) { user { id } accessToken errors { code } } }"""
        account = {"username": name, "email": f"{name}@example.com", "password": "long enough"}
        payload = (await self.call(query, {"input": account}))["register"]
        assert payload["errors"] == []
        return Customer(name, payload["user"]["id"], payload["accessToken"])

    def token_expiring_in(self, customer: Customer, seconds: float) -> str:
        """A token of `customer` that expires `seconds` from now."""
        issued = datetime.now(UTC) - self.ttl + timedelta(seconds=seconds)
        return self.tokens.issue(Principal(customer.user_id, Role.CUSTOMER), issued)

    async def place_order(self, customer: Customer, card: str = TRANSIENT_CARD) -> tuple[str, str]:
        """An order of one product, paid with `card`: its id and the product's name."""
        query = "{ products(first: 1, filter: { inStock: true }) { edges { node { id name } } } }"
        product = (await self.call(query, {}))["products"]["edges"][0]["node"]
        add = """mutation A($id: ID!) { addToCart(productId: $id, quantity: 1) { errors { code } } }"""
        assert (await self.call(add, {"id": product["id"]}, customer))["addToCart"]["errors"] == []
        checkout = """mutation C($input: CheckoutInput!) {
          checkout(input: $input) { order { id } errors { code } } }"""
        card_input = {"cardNumber": card, "expMonth": 12, "expYear": 2040, "cvc": "123"}
        variables = {"input": {"idempotencyKey": f"{customer.name}-1", "paymentMethod": card_input}}
        payload = (await self.call(checkout, variables, customer))["checkout"]
        assert payload["errors"] == []
        return payload["order"]["id"], product["name"]


def status_event(status: str, customer: Customer, product: str) -> dict[str, Any]:
    """One `next` payload of STATUS, joined from commerce, users and catalog."""
    return {
        "data": {
            "orderStatusChanged": {
                "status": status,
                "user": {"username": customer.name},
                "lines": [{"product": {"name": product}}],
            }
        }
    }


@asynccontextmanager
async def running_shop(tmp_path: Path, signing_key_pem: str) -> AsyncIterator[DevShop]:
    """`shopgraph dev` on a free loopback port; the router's settings come from the environment."""
    settings = Settings(
        data_dir=tmp_path / "data",
        jwt_private_key=signing_key_pem,
        bus_retry_delays_seconds=(1.0, 1.5, 30.0),
    )
    port = free_port()
    app = create_dev_app(settings, port)
    tokens = AccessTokens(load_key_pair(settings), settings)
    ttl = timedelta(seconds=settings.access_token_ttl_seconds)
    async with served(app, port) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        yield DevShop(url, http, app, tokens, ttl)


@dataclass
class SecondRouter:
    url: str
    proxy: TcpProxy  # between the router and commerce
    app: Starlette

    @property
    def ws_url(self) -> str:
        return f"{self.url}/graphql".replace("http", "ws", 1)

    @property
    def live(self) -> LiveGateway:
        live: LiveGateway = self.app.state.live
        return live


@asynccontextmanager
async def second_router(shop: DevShop, **settings: Any) -> AsyncIterator[SecondRouter]:
    """A router on the dev app's subgraphs, reaching commerce through a proxy."""
    dev = urlsplit(shop.url)
    async with TcpProxy(dev.hostname or "127.0.0.1", dev.port or 80) as proxy:

        def url_of(entry: SubgraphEntry) -> str:
            port = proxy.port if entry.name == "commerce" else dev.port
            return f"http://127.0.0.1:{port}/subgraphs/{entry.name}/graphql"

        pem = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        key = shop.tokens.keys.current.public_key.public_bytes(*pem).decode()
        config = RouterConfig(jwt_public_key=key, **settings)
        port = free_port()
        app = create_router_app(compose_subgraphs(url_of), config)
        # As `shopgraph router` runs: `trusted_proxies` decides whose X-Forwarded-For counts.
        async with served(app, port, proxy_headers=False) as url:
            yield SecondRouter(url, proxy, app)


@pytest.fixture
async def shop(tmp_path: Path, signing_key_pem: str) -> AsyncIterator[DevShop]:
    async with running_shop(tmp_path, signing_key_pem) as shop:
        yield shop
