"""GraphiQL in a real browser with no internet: it renders, documents the supergraph, runs queries.

Debian's Chromium, driven by playwright, may reach the router on loopback and
nothing else (see `browser/chromium.py`), so a page that needed a CDN would fail
here. playwright is imported inside the tests, so that without it they skip
(or fail under CI) rather than break collection.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from router.config import RouterConfig
from router.http import create_router_app
from shopgraph.loopback import free_port, served
from tests.router.http.browser.chromium import Traffic, loopback_page, require_chromium

if TYPE_CHECKING:
    from playwright.async_api import Page

SUPERGRAPH = Path(__file__).parents[1] / "planning" / "supergraphs" / "shop.graphql"
ASSETS = [
    "/graphiql/graphiql-start.js",
    "/graphiql/graphiql.min.css",
    "/graphiql/graphiql.min.js",
    "/graphiql/react-dom.production.min.js",
    "/graphiql/react.production.min.js",
]


async def test_the_docs_explorer_shows_the_supergraph_api_schema(tmp_path: Path) -> None:
    chromium = require_chromium()
    from playwright.async_api import expect

    router = create_router_app(SUPERGRAPH.read_text(), RouterConfig())
    async with (
        served(router, free_port()) as base,
        loopback_page(chromium, tmp_path / "graphiql.png") as (page, traffic),
    ):
        await open_graphiql(page, f"{base}/graphql")
        await page.get_by_role("button", name="Show Documentation Explorer").click()
        explorer = page.locator(".graphiql-doc-explorer")

        # The root page links the query root type, then every type of the API
        # schema: none of the supergraph's join__/link__ machinery.
        await expect(explorer.locator(".graphiql-doc-explorer-type-name")).to_have_text(
            ["Query", "Product", "String", "Int", "Boolean", "Review", "ID", "User"]
        )
        await explorer.get_by_role("link", name="Query", exact=True).click()
        await expect(explorer.locator(".graphiql-doc-explorer-title")).to_have_text("Query")
        await expect(explorer.locator(".graphiql-doc-explorer-item")).to_have_text(
            [
                "topProducts(first: Int = 5): [Product!]!",
                "product(upc: String!): Product",
                "latestReviews: [Review!]!",
                "me: User",
                "users: [User!]!",
            ]
        )

        assert traffic.blocked == []
        assert traffic.console_errors == []
        assert fetched(traffic) == sorted([f"{base}/graphql", *(base + a for a in ASSETS)])
        assert [body.get("operationName") for body in posted(traffic)] == ["IntrospectionQuery"]


async def test_a_query_from_a_shared_link_runs_and_its_result_is_shown(tmp_path: Path) -> None:
    chromium = require_chromium()
    from playwright.async_api import expect

    router = create_router_app(SUPERGRAPH.read_text(), RouterConfig())
    page_url_query = urlencode({"query": "{ __typename }"})
    async with (
        served(router, free_port()) as base,
        loopback_page(chromium, tmp_path / "graphiql.png") as (page, traffic),
    ):
        await open_graphiql(page, f"{base}/graphql?{page_url_query}")
        editor_lines = page.locator(".graphiql-query-editor .CodeMirror-line")
        await expect(editor_lines).to_have_text(["{ __typename }"])
        await page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
        result = page.locator(".result-window")
        await expect(result).to_contain_text('"__typename": "Query"')
        shown = await result.locator(".CodeMirror").evaluate("node => node.CodeMirror.getValue()")

        assert json.loads(shown) == {"data": {"__typename": "Query"}}
        assert traffic.blocked == []
        assert traffic.console_errors == []
        assert fetched(traffic) == sorted(
            [f"{base}/graphql?{page_url_query}", *(base + a for a in ASSETS)]
        )
        posts = posted(traffic)
        assert [body.get("operationName") for body in posts] == ["IntrospectionQuery", None]
        assert posts[1] == {"query": "{ __typename }"}


async def open_graphiql(page: Page, url: str) -> None:
    """Loads the page and waits until GraphiQL has replaced the placeholder."""
    from playwright.async_api import expect

    response = await page.goto(url)
    assert response is not None
    assert response.status == 200
    await expect(page).to_have_title("shopgraph - GraphiQL")
    await expect(page.locator("#graphiql .graphiql-container")).to_be_visible()
    await expect(page.get_by_text("Loading GraphiQL...")).to_have_count(0)


def fetched(traffic: Traffic) -> list[str]:
    """The URLs the page GETs, sorted: the browser may fetch the assets in any order."""
    return sorted(url for method, url, _ in traffic.requests if method == "GET")


def posted(traffic: Traffic) -> list[dict[str, Any]]:
    """The GraphQL request bodies the page POSTs, in order."""
    return [json.loads(body or "") for method, _, body in traffic.requests if method == "POST"]
