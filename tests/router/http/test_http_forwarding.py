"""The client address the subgraphs get: X-Forwarded-For as the router decides it.

A peer that `trusted_proxies` does not list is the client, whatever
X-Forwarded-For it wrote; a trusted proxy's X-Forwarded-For is read from the
right past every trusted hop. The subgraph gets the chain ending at the client.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from router.config import RouterConfig
from router.http import create_router_app
from tests.router.execution.fakes import FakeSubgraph, answer, subgraphs
from tests.router.execution.shop import SDL
from tests.router.subscriptions.conftest import DevShop, second_router

LOGIN = """mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken errors { code } }
}"""

ME = {"query": "{ me { name } }"}


@asynccontextmanager
async def router_seen_from(
    peer: str, **config: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, FakeSubgraph]]:
    """A router whose every request comes from the TCP peer `peer`; and its users subgraph."""
    async with subgraphs(users=answer({"me": {"name": "Ada"}})) as fakes:
        settings = RouterConfig(subgraph_urls={"users": fakes["users"].url}, **config)
        app = create_router_app(SDL, settings)
        transport = httpx.ASGITransport(app=app, client=(peer, 40_000))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://router") as client,
        ):
            yield client, fakes["users"]


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "trusted", "sent"),
    [
        # A client that writes its own X-Forwarded-For is not believed.
        ("198.51.100.7", "1.2.3.4", (), "198.51.100.7"),
        ("198.51.100.7", None, (), "198.51.100.7"),
        ("198.51.100.7", "1.2.3.4", ("10.0.0.0/8",), "198.51.100.7"),
        # Behind trusted proxies: the first address from the right that is not one.
        ("10.0.0.2", "1.2.3.4, 203.0.113.9, 10.0.0.5", ("10.0.0.0/8",), "1.2.3.4, 203.0.113.9"),
        ("10.0.0.2", "203.0.113.9", ("10.0.0.2",), "203.0.113.9"),
        ("2001:db8::2", "2001:db8:1::9", ("2001:db8::/64",), "2001:db8:1::9"),
        # A trusted proxy that names nobody: it is the nearest address known.
        ("10.0.0.2", None, ("10.0.0.0/8",), "10.0.0.2"),
    ],
)
async def test_the_subgraph_gets_the_chain_ending_at_the_client(
    peer: str, forwarded_for: str | None, trusted: tuple[str, ...], sent: str
) -> None:
    headers = {"x-forwarded-for": forwarded_for} if forwarded_for else {}
    async with router_seen_from(peer, trusted_proxies=trusted) as (client, users):
        response = await client.post("/graphql", json=ME, headers=headers)

    assert response.json() == {"data": {"me": {"name": "Ada"}}}
    [received] = users.received
    assert received.headers["X-Forwarded-For"] == sent


async def test_x_forwarded_for_sent_twice_is_read_as_one_chain() -> None:
    # A header name sent twice takes the Starlette path (router.http.posted): same answer.
    twice = [("x-forwarded-for", "1.2.3.4"), ("x-forwarded-for", "203.0.113.9, 10.0.0.5")]
    async with router_seen_from("10.0.0.2", trusted_proxies=("10.0.0.0/8",)) as (client, users):
        response = await client.post("/graphql", json=ME, headers=twice)

    assert response.json() == {"data": {"me": {"name": "Ada"}}}
    [received] = users.received
    assert received.headers["X-Forwarded-For"] == "1.2.3.4, 203.0.113.9"


def test_a_trusted_proxy_that_is_not_an_address_is_refused() -> None:
    with pytest.raises(
        ValidationError, match=re.escape("'proxy.internal' is not an IP address or network")
    ):
        RouterConfig(trusted_proxies=("10.0.0.0/8", "proxy.internal"))


async def test_the_users_per_address_sign_in_limit_counts_the_client_not_the_router(
    shop: DevShop,
) -> None:
    await shop.register("ada")
    mallory, ada = {"x-forwarded-for": "203.0.113.7"}, {"x-forwarded-for": "198.51.100.2"}
    async with (
        second_router(shop, trusted_proxies=("127.0.0.1",)) as router,  # the test is the proxy
        httpx.AsyncClient(base_url=router.url, timeout=20) as client,
    ):

        async def login(email: str, password: str, headers: dict[str, str]) -> dict[str, Any]:
            variables = {"input": {"email": email, "password": password}}
            body = {"query": LOGIN, "variables": variables}
            response = await client.post("/graphql", json=body, headers=headers)
            payload: dict[str, Any] = response.json()["data"]["login"]
            return payload

        # The users subgraph allows 20 failed sign-ins per address in its window.
        spraying = [await login(f"nobody{n}@example.com", "wrong", mallory) for n in range(20)]
        blocked = await login("nobody@example.com", "wrong", mallory)
        signed_in = await login("ada@example.com", "long enough", ada)

    assert {error["code"] for p in spraying for error in p["errors"]} == {"INVALID_CREDENTIALS"}
    assert [error["code"] for error in blocked["errors"]] == ["RATE_LIMITED"]
    assert signed_in["errors"] == []
    assert signed_in["accessToken"]
