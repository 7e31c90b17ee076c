"""GraphiQL for browsers: the page and its assets come from the router itself."""

from __future__ import annotations

import re

import httpx
from graphql import build_client_schema, get_introspection_query

from router.config import RouterConfig
from router.http import create_router_app
from router.http.graphiql import STATIC_DIR
from router.planning.plan import QueryPlan
from tests.graphql import serve
from tests.router.execution.fakes import fixed_plan
from tests.router.execution.shop import SDL

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ASSETS = [
    ("graphiql.min.js", "javascript"),
    ("graphiql.min.css", "text/css"),
    ("react.production.min.js", "javascript"),
    ("react-dom.production.min.js", "javascript"),
    ("graphiql-start.js", "javascript"),
]
CDN = re.compile(
    r"https?://[^\s\"')]*(unpkg|jsdelivr|cdnjs|esm\.sh|skypack|googleapis|gstatic|cdn\.)",
    re.IGNORECASE,
)


async def test_browsers_get_graphiql_loading_only_local_assets() -> None:
    async with serve(create_router_app(SDL, RouterConfig())) as client:
        page = await client.get("/graphql", headers={"accept": BROWSER_ACCEPT})

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "http://" not in page.text
    assert "https://" not in page.text
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    assert scripts == [
        "/graphiql/react.production.min.js",
        "/graphiql/react-dom.production.min.js",
        "/graphiql/graphiql.min.js",
        "/graphiql/graphiql-start.js",
    ]
    assert styles == ["/graphiql/graphiql.min.css"]
    assert 'data-endpoint="/graphql"' in page.text


async def test_the_assets_are_served_and_reference_no_cdn() -> None:
    async with serve(create_router_app(SDL, RouterConfig())) as client:
        for name, media in ASSETS:
            response = await client.get(f"/graphiql/{name}")
            assert response.status_code == 200, name
            assert media in response.headers["content-type"], name
            assert response.content == (STATIC_DIR / name).read_bytes()
            assert CDN.search(response.text) is None, name
            assert "sourceMappingURL" not in response.text, name

    css = (STATIC_DIR / "graphiql.min.css").read_text()
    assert re.search(r"url\((?!data:)", css) is None  # fonts are inlined, nothing to fetch
    for license_name in ("graphiql.LICENSE", "react.LICENSE", "react-dom.LICENSE"):
        assert (STATIC_DIR / license_name).read_text().startswith("MIT License")


async def test_the_page_follows_the_mount_point() -> None:
    router = create_router_app(SDL, RouterConfig())
    transport = httpx.ASGITransport(app=router, root_path="/api")
    async with (
        router.router.lifespan_context(router),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        page = await client.get("/graphql", headers={"accept": BROWSER_ACCEPT})

    assert 'src="/api/graphiql/graphiql.min.js"' in page.text
    assert 'data-endpoint="/api/graphql"' in page.text


async def test_api_clients_and_disabled_graphiql_get_graphql_instead() -> None:
    async with serve(create_router_app(SDL, RouterConfig(graphiql=False))) as client:
        off = await client.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    async with serve(create_router_app(SDL, RouterConfig())) as client:
        api = await client.get("/graphql", headers={"accept": "application/json, text/html"})

    assert off.status_code == 400  # no query: a GraphQL request, not a page
    assert api.status_code == 400
    assert api.headers["content-type"].startswith("application/json")


async def test_the_docs_explorer_introspection_query_builds_the_schema() -> None:
    # What GraphiQL 3.8 sends for its docs explorer (graphql-js getIntrospectionQuery).
    query = get_introspection_query(descriptions=True)
    router = create_router_app(SDL, RouterConfig(), planner=fixed_plan(QueryPlan(None)))
    async with serve(router) as client:
        response = await client.post(
            "/graphql",
            json={"query": query, "operationName": "IntrospectionQuery"},
            headers={"accept": "application/graphql-response+json, application/json;q=0.9"},
        )

    assert response.status_code == 200
    schema = build_client_schema(response.json()["data"])
    assert schema.query_type is not None
    assert schema.query_type.name == "Query"
    assert "join__Graph" not in schema.type_map
    assert "Internal" not in schema.type_map
