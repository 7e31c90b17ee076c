"""Commerce's processes killed (SIGKILL, as `kill -9`) at their worst moments.

The real programs on PostgreSQL, Redis and RabbitMQ: catalog, commerce and the
payments worker as their own processes, started with a test-only crash point
(`SHOPGRAPH_TEST_CRASH_AT`, subgraphs/platform/faults.py).

- Commerce dies right after checkout commits the order. The client gets no
  answer and the cart was not touched; once commerce is back, `order.placed`
  (in the outbox with the order) empties it, so a retry with a new key cannot
  buy the same things again.
- The payments worker dies after charging and after catalog settled the order's
  stock, before its transaction commits. Restarted, it gets the event again: the
  card network returns the first charge's outcome, catalog's settlement repeats
  harmlessly, and the order is PAID once, its stock sold once.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shopgraph.loopback import free_port
from subgraphs.commerce.events import STATUS_CHANGED
from subgraphs.commerce.models import outbox
from subgraphs.commerce.payments.simulator import SimulatedProvider
from subgraphs.commerce.services import NAME
from subgraphs.platform import faults
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.keyring import load_key_ring
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.platform.database import Database
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
ORDER = "query O($id: ID!) { order(id: $id) { status payments { id } } }"


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
        assert process.poll() is None, "the process exited before it was ready"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the process did not become ready")


@dataclass(frozen=True)
class _Shop:
    """Catalog running with a lamp (5 in stock); commerce's address, not yet served."""

    env: dict[str, str]
    catalog: str
    commerce_port: int
    staff: str
    ann: str
    lamp: str

    @property
    def commerce(self) -> str:
        return f"http://127.0.0.1:{self.commerce_port}"

    def serve_commerce(self) -> list[str]:
        return ["serve", "commerce", "--port", str(self.commerce_port)]

    def stock(self) -> int:
        stock: int = _call(f"{self.catalog}/graphql", STOCK, {"id": self.lamp}, self.staff)[
            "product"
        ]["stock"]
        return stock


@contextmanager
def _catalog_with_a_lamp(settings: Settings, redis_url: str, rabbitmq_url: str) -> Iterator[_Shop]:
    catalog_port, commerce_port = free_port(), free_port()
    catalog = f"http://127.0.0.1:{catalog_port}"
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
    asyncio.run(delete_group_queues(rabbitmq_url))
    try:
        with _running(["serve", "catalog", "--port", str(catalog_port)], env, f"{catalog}/readyz"):
            values = {"name": "Lamp", "description": "A lamp.", "price": "20.00", "stock": 5}
            created = _call(f"{catalog}/graphql", CREATE, {"input": values}, staff)
            lamp = created["createProduct"]["product"]["id"]
            yield _Shop(env, catalog, commerce_port, staff, ann, lamp)
    finally:
        asyncio.run(delete_group_queues(rabbitmq_url))


def _killed_at(args: list[str], env: dict[str, str], point: str, log: Path) -> None:
    """Runs `shopgraph ARGS` with the crash point `point` until it reaches it and dies."""
    with log.open("wb") as output:
        crashing = subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
            [sys.executable, "-m", "shopgraph", *args],
            env={**os.environ, **env, faults.ENV: point},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            assert crashing.wait(timeout=60) == -9, log.read_text()
        finally:
            if crashing.poll() is None:
                crashing.kill()


@contextmanager
def _worker(args: list[str], env: dict[str, str], log: Path) -> Iterator[None]:
    """`shopgraph ARGS` (a worker, which serves no HTTP) for the block; it stops cleanly."""
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
            [sys.executable, "-m", "shopgraph", *args],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield
        finally:
            process.terminate()
            returncode = process.wait(timeout=20)
    assert returncode in (0, -15), log.read_text()
    assert "Traceback" not in log.read_text()


def test_a_commerce_killed_after_the_order_commit_still_clears_the_cart(
    settings: Settings, redis_url: str, rabbitmq_url: str, tmp_path: Path
) -> None:
    with _catalog_with_a_lamp(settings, redis_url, rabbitmq_url) as shop:
        commerce = shop.commerce
        with (tmp_path / "crashed.log").open("wb") as output:
            crashing = subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
                [sys.executable, "-m", "shopgraph", *shop.serve_commerce()],
                env={**os.environ, **shop.env, faults.ENV: faults.ORDER_COMMITTED},
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_ready(f"{commerce}/readyz", crashing)
                assert _call(f"{commerce}/graphql", ADD, {"id": shop.lamp}, shop.ann) == {
                    "addToCart": {"errors": []}
                }
                with pytest.raises(httpx.TransportError):
                    _call(f"{commerce}/graphql", CHECKOUT, {"key": "first"}, shop.ann)
                assert crashing.wait(timeout=20) == -9
            finally:
                if crashing.poll() is None:
                    crashing.kill()

        with _running(shop.serve_commerce(), shop.env, f"{commerce}/readyz"):
            deadline = time.monotonic() + 30
            while _call(f"{commerce}/graphql", CART, {}, shop.ann)["cart"]["itemCount"] != 0:
                assert time.monotonic() < deadline, "the cart was never cleared"
                time.sleep(0.1)
            orders = _call(f"{commerce}/graphql", MY_ORDERS, {}, shop.ann)["myOrders"]
            renewed = _call(f"{commerce}/graphql", CHECKOUT, {"key": "new key"}, shop.ann)
            replayed = _call(f"{commerce}/graphql", CHECKOUT, {"key": "first"}, shop.ann)
        stock = shop.stock()

    [order] = [edge["node"] for edge in orders["edges"]]
    assert orders["totalCount"] == 1
    assert order["status"] == "PENDING_PAYMENT"  # no payments worker runs here
    assert renewed["checkout"] == {"order": None, "errors": [{"code": "EMPTY_CART"}]}
    assert replayed["checkout"] == {
        "order": {"id": order["id"], "status": "PENDING_PAYMENT", "lines": [{"quantity": 2}]},
        "errors": [],
    }
    assert stock == 3


def test_a_payments_worker_killed_after_the_settlement_pays_the_order_once(
    settings: Settings, redis_url: str, rabbitmq_url: str, tmp_path: Path
) -> None:
    with (
        _catalog_with_a_lamp(settings, redis_url, rabbitmq_url) as shop,
        _running(shop.serve_commerce(), shop.env, f"{shop.commerce}/readyz"),
    ):
        graphql = f"{shop.commerce}/graphql"
        _call(graphql, ADD, {"id": shop.lamp}, shop.ann)
        order_id = _call(graphql, CHECKOUT, {"key": "k"}, shop.ann)["checkout"]["order"]["id"]

        payments = ["worker", "payments"]
        _killed_at(payments, shop.env, faults.OUTCOMES_SETTLED, tmp_path / "killed.log")
        unpaid = _call(graphql, ORDER, {"id": order_id}, shop.ann)["order"]
        with _worker(payments, shop.env, tmp_path / "payments.log"):
            deadline = time.monotonic() + 30
            while _call(graphql, ORDER, {"id": order_id}, shop.ann)["order"]["status"] != "PAID":
                assert time.monotonic() < deadline, "the order was never paid"
                time.sleep(0.1)
        stock = shop.stock()

    # Nothing of the killed transaction stayed; the repeated charge returned the first
    # one's outcome: one attempt at the card network, which succeeded, never refunded.
    assert unpaid["status"] == "PENDING_PAYMENT"
    payment_id = unpaid["payments"][0]["id"]
    assert asyncio.run(_charges(settings, payment_id)) == (1, "succeeded", False)
    assert asyncio.run(_status_events(settings, order_id)) == 2  # placed, then PAID
    assert stock == 3


async def _charges(settings: Settings, payment_id: str) -> tuple[int, str | None, bool] | None:
    network = SimulatedProvider(settings)
    try:
        return await network.charged(payment_id)
    finally:
        await network.close()


async def _status_events(settings: Settings, order_id: str) -> int:
    database = Database(settings, NAME)
    try:
        async with database.session() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.subject_id == order_id, outbox.c.type == STATUS_CHANGED)
            )
        return count or 0
    finally:
        await database.close()
