"""Commerce killed (SIGKILL, as `kill -9`) between an order's commit and the answer.

The real programs on PostgreSQL, Redis and RabbitMQ: catalog and commerce as
their own processes. The first commerce process is started with the test-only
crash point `SHOPGRAPH_TEST_CRASH_AT=order-committed` (subgraphs/platform/faults.py),
so it dies right after checkout commits the order. The client gets no answer and
the cart was not touched; once commerce is back, `order.placed` (in the outbox
with the order) empties it, so a retry with a new key cannot buy the same
things again.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from shopgraph.loopback import free_port
from subgraphs.platform import faults
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.keyring import load_key_ring
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.platform.settings import Settings
from tests.rabbitmq import delete_group_queues
from tests.shopgraph.test_cli import _env
from tests.shopgraph.test_processes import _running

pytestmark = pytest.mark.parametrize("backend", ["postgres"])

CREATE = """mutation C($input: ProductInput!) { createProduct(input: $input) {
  product { id } errors { code } } }"""
ADD = """mutation A($id: ID!) { addToCart(productId: $id, quantity: 2) { errors { code } } }"""
CHECKOUT = """mutation K($key: String!) { checkout(input: {idempotencyKey: $key,
  paymentMethod: {cardNumber: "4242424242424242", expMonth: 12, expYear: 2040, cvc: "123"}}) {
  order { id status lines { quantity } } errors { code } } }"""
CART = "{ cart { itemCount } }"
MY_ORDERS = "{ myOrders(first: 10) { totalCount edges { node { id status } } } }"
STOCK = "query S($id: ID!) { product(id: $id) { stock } }"


def _call(url: str, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    response = httpx.post(
        url,
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
        timeout=10,
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, "commerce exited before it was ready"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("commerce did not become ready")


def test_a_commerce_killed_after_the_order_commit_still_clears_the_cart(
    settings: Settings, redis_url: str, rabbitmq_url: str, tmp_path: Path
) -> None:
    catalog_port, commerce_port = free_port(), free_port()
    catalog = f"http://127.0.0.1:{catalog_port}"
    commerce = f"http://127.0.0.1:{commerce_port}"
    env = {
        **_env(settings),
        "SHOPGRAPH_REDIS_URL": redis_url,
        "SHOPGRAPH_AMQP_URL": rabbitmq_url,
        "SHOPGRAPH_SERVICE_TOKEN": "a-service-token-of-at-least-thirty-two-characters",
        "SHOPGRAPH_CATALOG_URL": f"{catalog}/graphql",
    }
    tokens = AccessTokens(load_key_ring(settings), settings)
    staff = tokens.issue(Principal("staff-1", Role.STAFF))
    ann = tokens.issue(Principal("ann", Role.CUSTOMER))
    serve_commerce = [sys.executable, "-m", "shopgraph", "serve", "commerce"]
    serve_commerce += ["--port", str(commerce_port)]
    asyncio.run(delete_group_queues(rabbitmq_url))
    try:
        with _running(["serve", "catalog", "--port", str(catalog_port)], env, f"{catalog}/readyz"):
            values = {"name": "Lamp", "description": "A lamp.", "price": "20.00", "stock": 5}
            created = _call(f"{catalog}/graphql", CREATE, {"input": values}, staff)
            lamp = created["createProduct"]["product"]["id"]

            with (tmp_path / "crashed.log").open("wb") as output:
                crashing = subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
                    serve_commerce,
                    env={**os.environ, **env, faults.ENV: faults.ORDER_COMMITTED},
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
                try:
                    _wait_ready(f"{commerce}/readyz", crashing)
                    assert _call(f"{commerce}/graphql", ADD, {"id": lamp}, ann) == {
                        "addToCart": {"errors": []}
                    }
                    with pytest.raises(httpx.TransportError):
                        _call(f"{commerce}/graphql", CHECKOUT, {"key": "first"}, ann)
                    assert crashing.wait(timeout=20) == -9
                finally:
                    if crashing.poll() is None:
                        crashing.kill()

            with _running(
                ["serve", "commerce", "--port", str(commerce_port)], env, f"{commerce}/readyz"
            ):
                deadline = time.monotonic() + 30
                while _call(f"{commerce}/graphql", CART, {}, ann)["cart"]["itemCount"] != 0:
                    assert time.monotonic() < deadline, "the cart was never cleared"
                    time.sleep(0.1)
                orders = _call(f"{commerce}/graphql", MY_ORDERS, {}, ann)["myOrders"]
                renewed = _call(f"{commerce}/graphql", CHECKOUT, {"key": "new key"}, ann)
                replayed = _call(f"{commerce}/graphql", CHECKOUT, {"key": "first"}, ann)
            stock = _call(f"{catalog}/graphql", STOCK, {"id": lamp}, staff)["product"]["stock"]
    finally:
        asyncio.run(delete_group_queues(rabbitmq_url))

    [order] = [edge["node"] for edge in orders["edges"]]
    assert orders["totalCount"] == 1
    assert order["status"] == "PENDING_PAYMENT"  # no payments worker runs here
    assert renewed["checkout"] == {"order": None, "errors": [{"code": "EMPTY_CART"}]}
    assert replayed["checkout"] == {
        "order": {"id": order["id"], "status": "PENDING_PAYMENT", "lines": [{"quantity": 2}]},
        "errors": [],
    }
    assert stock == 3
