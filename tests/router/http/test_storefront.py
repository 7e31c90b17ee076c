"""`shopgraph router --storefront DIR`: the app's pages, assets and operation ids, all under a strict CSP."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx

from router.config import RouterConfig
from router.http import create_router_app
from router.http.storefront import CONTENT_SECURITY_POLICY

SUPERGRAPH = Path(__file__).parents[1] / "planning" / "supergraphs" / "shop.graphql"
STOREFRONT = Path(__file__).parents[3] / "shopgraph" / "storefront"
DOCUMENTS = [("storefront", "Me", "{ me { id } }"), ("admin", "Users", "{ users { id } }")]


def client(tmp_path: Path) -> httpx.AsyncClient:
    manifest = tmp_path / "manifest.json"
    documents = [
        {
            "client": {"name": client, "version": "1"},
            "name": name,
            "body": body,
            "hash": hashlib.sha256(body.encode()).hexdigest(),
        }
        for client, name, body in DOCUMENTS
    ]
    manifest.write_text(json.dumps({"format": "graphql-trusted-documents", "documents": documents}))
    config = RouterConfig(storefront_dir=STOREFRONT, trusted_documents_manifest=manifest)
    app = create_router_app(SUPERGRAPH.read_text(), config)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop")


async def test_every_page_url_answers_with_the_app_under_the_csp(tmp_path: Path) -> None:
    index = (STOREFRONT / "index.html").read_text()
    async with client(tmp_path) as shop:
        for path in [
            "/",
            "/search?q=shoes",
            "/category/footwear",
            "/product/p1",
            "/cart",
            "/checkout",
            "/orders/o1",
            "/account",
            "/staff",
            "/staff/products",
            "/staff/products/new",
            "/staff/products/p1",
            "/staff/orders?status=PAID",
        ]:
            response = await shop.get(path)
            assert (response.status_code, response.text) == (200, index), path
            assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert (await shop.get("/nowhere")).status_code == 404


async def test_assets_carry_the_csp_and_the_page_has_no_inline_script(tmp_path: Path) -> None:
    async with client(tmp_path) as shop:
        script = await shop.get("/storefront/vendor/graphql-ws/client.mjs")
        page = (await shop.get("/")).text
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert page.count("<script") == 1
    assert '<script type="module" src="/storefront/app.js">' in page


async def test_operation_ids_are_the_storefront_clients_trusted_documents(tmp_path: Path) -> None:
    async with client(tmp_path) as shop:
        operations = (await shop.get("/storefront/operations.json")).json()
    digest = hashlib.sha256(b"{ me { id } }").hexdigest()
    assert operations == {"Me": {"id": f"sha256:{digest}", "query": "{ me { id } }"}}


async def test_assets_go_compressed_to_clients_that_accept_it(tmp_path: Path) -> None:
    source = (STOREFRONT / "vendor" / "graphql-ws" / "client.mjs").read_text()
    async with client(tmp_path) as shop:
        gzipped = await shop.get(
            "/storefront/vendor/graphql-ws/client.mjs", headers={"accept-encoding": "gzip"}
        )
        plain = await shop.get(
            "/storefront/vendor/graphql-ws/client.mjs", headers={"accept-encoding": "identity"}
        )
    assert gzipped.headers["content-encoding"] == "gzip"
    assert int(gzipped.headers["content-length"]) < len(source.encode()) / 2
    assert gzipped.text == plain.text == source  # httpx decodes the gzip
    assert "content-encoding" not in plain.headers
    assert gzipped.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
