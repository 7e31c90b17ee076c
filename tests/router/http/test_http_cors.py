"""CORS for configured origins, and CSRF prevention for requests sent without a preflight."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from router.config import RouterConfig
from router.http import create_router_app
from router.planning.plan import QueryPlan
from tests.graphql import serve
from tests.router.execution.fakes import answer, fixed_plan, subgraphs
from tests.router.execution.shop import SDL, fetch

QUERY = {"query": "{ me { name } }"}
ANSWER = {"data": {"me": {"name": "Ada"}}}
SHOP = "https://shop.example.com"


@asynccontextmanager
async def router(**config: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with subgraphs(users=answer({"me": {"name": "Ada"}})) as fakes:
        urls = {name: fake.url for name, fake in fakes.items()}
        plan = QueryPlan(fetch("users", "{ me { name } }"))
        app = create_router_app(
            SDL, RouterConfig(subgraph_urls=urls, **config), planner=fixed_plan(plan)
        )
        async with serve(app) as client:
            yield client


def preflight(origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization",
    }


async def test_configured_origins_may_read_answers_and_others_may_not() -> None:
    async with router(cors_origins=(SHOP,)) as client:
        allowed = await client.options("/graphql", headers=preflight(SHOP))
        foreign = await client.options("/graphql", headers=preflight("https://evil.example"))
        local = await client.options("/graphql", headers=preflight("http://localhost:5173"))
        answered = await client.post("/graphql", json=QUERY, headers={"origin": SHOP})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == SHOP
    assert allowed.headers["access-control-allow-headers"] == "content-type, authorization"
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert foreign.status_code == local.status_code == 400
    assert "access-control-allow-origin" not in foreign.headers
    assert answered.json() == ANSWER
    assert answered.headers["access-control-allow-origin"] == SHOP


async def test_dev_allows_pages_from_localhost_on_any_port() -> None:
    async with router(cors_allow_localhost=True) as client:
        vite = await client.options("/graphql", headers=preflight("http://localhost:5173"))
        loopback = await client.options("/graphql", headers=preflight("http://127.0.0.1:4000"))
        lookalike = await client.options(
            "/graphql", headers=preflight("http://localhost.evil.example")
        )

    assert vite.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert loopback.headers["access-control-allow-origin"] == "http://127.0.0.1:4000"
    assert lookalike.status_code == 400


async def test_requests_a_browser_sends_without_preflight_are_refused() -> None:
    blocked_code = "CSRF_PREVENTION"
    async with router() as client:
        simple_get = await client.get(
            "/graphql", params=QUERY, headers={"accept": "application/json"}
        )
        form = await client.post(
            "/graphql",
            content=b'{"query": "{ me { name } }"}',
            headers={"content-type": "text/plain"},
        )
        no_type = await client.post("/graphql", content=b'{"query": "{ me { name } }"}')
        json_post = await client.post("/graphql", json=QUERY)
        get_with_header = await client.get(
            "/graphql", params=QUERY, headers={"apollo-require-preflight": "true"}
        )
        get_with_name = await client.get(
            "/graphql", params=QUERY, headers={"x-apollo-operation-name": "Me"}
        )

    for refused in (simple_get, form, no_type):
        assert refused.status_code == 400
        [error] = refused.json()["errors"]
        assert error["extensions"] == {"code": blocked_code}
        assert error["message"].startswith("This operation has been blocked as a potential")
    assert json_post.json() == get_with_header.json() == get_with_name.json() == ANSWER


async def test_csrf_prevention_can_be_turned_off_or_given_other_headers() -> None:
    async with router(csrf_prevention=False) as client:
        off = await client.get("/graphql", params=QUERY)
    async with router(csrf_required_headers=("x-shop-client",)) as client:
        custom = await client.get("/graphql", params=QUERY, headers={"x-shop-client": "web"})
        apollo = await client.get(
            "/graphql", params=QUERY, headers={"apollo-require-preflight": "1"}
        )

    assert off.json() == custom.json() == ANSWER
    assert apollo.status_code == 400
