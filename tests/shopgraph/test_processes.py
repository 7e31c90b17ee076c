"""The real programs, started as a user starts them, answering over real HTTP."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from shopgraph.cli import app
from shopgraph.loopback import free_port
from subgraphs.platform.settings import Settings
from tests.rabbitmq import delete_group_queues
from tests.shopgraph.test_cli import _env

runner = CliRunner()

REGISTER = """mutation { register(input: {username: "proc", email: "proc@example.com",
  password: "long enough"}) { user { username } errors { code } } }"""


@contextmanager
def _running(args: list[str], env: dict[str, str], ready_url: str) -> Iterator[str]:
    process = subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
        [sys.executable, "-m", "shopgraph", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(ready_url, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"{args} did not become ready")
        yield ready_url
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    # uvicorn shuts down cleanly, then re-raises SIGTERM so the exit status tells it.
    assert process.returncode in (0, -15), output
    assert "Application shutdown complete" in output, output
    assert "Traceback" not in output, output


def test_serve_users_migrates_and_answers(settings: Settings) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with _running(["serve", "users", "--port", str(port)], _env(settings), f"{base}/readyz"):
        body = httpx.post(f"{base}/graphql", json={"query": REGISTER}, timeout=10).json()
    assert body == {"data": {"register": {"user": {"username": "proc"}, "errors": []}}}


def test_serve_social_migrates_and_answers(settings: Settings) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    query = """query { _entities(representations: [{__typename: "Product", id: "p-1"}]) {
      ... on Product { reviewCount averageRating } } }"""
    add = """mutation { addReview(input: {productId: "p-1", rating: 5, comment: "hi"}) {
      review { id } errors { code } } }"""
    with _running(["serve", "social", "--port", str(port)], _env(settings), f"{base}/readyz"):
        ratings = httpx.post(f"{base}/graphql", json={"query": query}, timeout=10).json()
        added = httpx.post(f"{base}/graphql", json={"query": add}, timeout=10).json()
    assert ratings == {"data": {"_entities": [{"reviewCount": 0, "averageRating": None}]}}
    assert added == {
        "data": {"addReview": {"review": None, "errors": [{"code": "UNAUTHENTICATED"}]}}
    }


def test_dev_serves_the_supergraph_at_graphql(settings: Settings) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["dev", "--port", str(port), "--data-dir", str(settings.data_dir)]
    with _running(args, _env(settings), f"{base}/readyz"):
        body = httpx.post(f"{base}/graphql", json={"query": REGISTER}, timeout=10).json()
    assert body == {"data": {"register": {"user": {"username": "proc"}, "errors": []}}}


def test_router_serves_a_composed_supergraph_of_separate_processes(
    settings: Settings, tmp_path: Path
) -> None:
    users_port, router_port = free_port(), free_port()
    users = f"http://127.0.0.1:{users_port}"
    supergraph = tmp_path / "supergraph.graphql"
    env = _env(settings)
    composed = runner.invoke(
        app, ["schema", "compose", "--out", str(supergraph), "--url", f"users={users}/graphql"]
    )
    assert composed.exit_code == 0, composed.output
    router = f"http://127.0.0.1:{router_port}"
    with (
        _running(["serve", "users", "--port", str(users_port)], env, f"{users}/readyz"),
        _running(
            ["router", "--supergraph", str(supergraph), "--port", str(router_port)],
            env,
            f"{router}/readyz",
        ),
    ):
        body = httpx.post(f"{router}/graphql", json={"query": REGISTER}, timeout=10).json()
    assert body == {"data": {"register": {"user": {"username": "proc"}, "errors": []}}}


@contextmanager
def _worker(args: list[str], env: dict[str, str], ready_line: str) -> Iterator[None]:
    """A CLI process without HTTP, ready once it prints `ready_line`; stopped with SIGTERM."""
    process = subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
        [sys.executable, "-m", "shopgraph", *args],
        env={**os.environ, **env, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    seen = []
    for line in process.stdout:  # blocks until the worker prints or exits
        seen.append(line)
        if ready_line in line:
            break
    else:
        raise AssertionError(f"{args} exited early:\n{''.join(seen)}")
    try:
        yield
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, "".join(seen) + output
    assert "Traceback" not in output, output


CHECKOUT = """mutation C($product: ID!) {
  addToCart(productId: $product, quantity: 2) { errors { code } }
  checkout(input: {idempotencyKey: "proc-1", paymentMethod: {cardNumber: "4242424242424242",
    expMonth: 12, expYear: 2040, cvc: "123"}}) { order { id } errors { code } }
}"""
ORDER = """query O($id: ID!) { order(id: $id) { status user { username }
  lines { quantity product { name } } } }"""


@pytest.mark.parametrize("backend", ["postgres"])
def test_the_shop_runs_as_separate_processes_on_the_production_backends(
    settings: Settings, redis_url: str, rabbitmq_url: str, tmp_path: Path
) -> None:
    """users, catalog, commerce, the payments and orders workers and the router as their
    own programs, on PostgreSQL, Redis and RabbitMQ: a customer buys through the router and
    gets PAID, moved there by the orders worker (commerce leaves its order jobs to it)."""
    ports = {name: free_port() for name in ("users", "catalog", "commerce", "router")}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        **_env(settings),
        "SHOPGRAPH_REDIS_URL": redis_url,
        "SHOPGRAPH_AMQP_URL": rabbitmq_url,
        "SHOPGRAPH_SERVICE_TOKEN": "a-service-token-of-at-least-thirty-two-characters",
        "SHOPGRAPH_CATALOG_URL": f"{url['catalog']}/graphql",
        "SHOPGRAPH_ORDER_JOBS": "worker",
    }
    asyncio.run(delete_group_queues(rabbitmq_url))
    supergraph = tmp_path / "supergraph.graphql"
    subgraph_urls = [f"{name}={url[name]}/graphql" for name in ("users", "catalog", "commerce")]
    composed = runner.invoke(
        app,
        ["schema", "compose", "--out", str(supergraph)]
        + [option for pair in subgraph_urls for option in ("--url", pair)],
    )
    assert composed.exit_code == 0, composed.output
    try:
        with (
            _running(
                ["serve", "users", "--port", str(ports["users"])], env, f"{url['users']}/readyz"
            ),
            _running(
                ["serve", "catalog", "--port", str(ports["catalog"])],
                env,
                f"{url['catalog']}/readyz",
            ),
            _running(
                ["serve", "commerce", "--port", str(ports["commerce"])],
                env,
                f"{url['commerce']}/readyz",
            ),
            _worker(["worker", "payments"], env, "payments worker running"),
            _worker(["worker", "orders"], env, "orders worker running"),
            _running(
                ["router", "--supergraph", str(supergraph), "--port", str(ports["router"])],
                env,
                f"{url['router']}/readyz",
            ),
        ):
            seeded = runner.invoke(app, ["seed"], env=env)
            assert seeded.exit_code == 0, seeded.output
            order = _buy_through(url["router"])
    finally:
        asyncio.run(delete_group_queues(rabbitmq_url))
    assert order["status"] == "PAID"
    assert order["user"] == {"username": "proc"}
    assert order["lines"][0]["quantity"] == 2


def _buy_through(router: str) -> dict[str, Any]:
    def call(query: str, variables: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{router}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=10,
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    register = REGISTER.replace("user { username }", "user { username } accessToken")
    token = call(register, {})["register"]["accessToken"]
    product = call("{ products(first: 1) { edges { node { id } } } }", {})["products"]
    placed = call(CHECKOUT, {"product": product["edges"][0]["node"]["id"]}, token)
    assert placed["addToCart"]["errors"] == [], placed
    assert placed["checkout"]["errors"] == [], placed
    order_id = placed["checkout"]["order"]["id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        order: dict[str, Any] = call(ORDER, {"id": order_id}, token)["order"]
        if order["status"] != "PENDING_PAYMENT":
            return order
        time.sleep(0.1)
    raise AssertionError(f"order {order_id} was not charged")
