"""`shopgraph router --storefront DIR`: the app's pages, assets and operation ids, all under a strict CSP."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import httpx
import pytest

from router.config import RouterConfig
from router.http import create_router_app
from router.http.storefront import CONTENT_SECURITY_POLICY, PAGES_FILE, page_paths

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


def example(path: str) -> str:
    """A page path with each "{name}" segment filled in."""
    return re.sub(r"\{\w+\}", "p1", path)


async def test_every_page_url_answers_with_the_app_under_the_csp(tmp_path: Path) -> None:
    index = (STOREFRONT / "index.html").read_text()
    pages = json.loads((STOREFRONT / PAGES_FILE).read_text())
    urls = [example(page["path"]) for page in pages]
    # The deep links the issue names are among them, with a query string too.
    assert {"/", "/search", "/product/p1", "/orders/p1", "/account", "/staff"} <= set(urls)
    async with client(tmp_path) as shop:
        for url in [*urls, "/search?q=shoes", "/staff/orders?status=PAID"]:
            response = await shop.get(url)
            assert (response.status_code, response.text) == (200, index), url
            assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert (await shop.get("/nowhere")).status_code == 404
        assert (await shop.get("/product/p1/more")).status_code == 404


async def test_the_page_paths_are_the_storefront_directorys_own(tmp_path: Path) -> None:
    storefront = tmp_path / "storefront"
    storefront.mkdir()
    (storefront / "index.html").write_text("<!doctype html><title>other</title>")
    (storefront / PAGES_FILE).write_text('[{"path": "/deals/{id}", "page": "deal"}]')
    assert page_paths(storefront) == ("/deals/{id}",)
    config = RouterConfig(storefront_dir=storefront)
    app = create_router_app(SUPERGRAPH.read_text(), config)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop") as shop:
        deal, home = await shop.get("/deals/d1"), await shop.get("/")
    assert (deal.status_code, deal.text) == (200, "<!doctype html><title>other</title>")
    assert home.status_code == 404


async def test_a_storefront_without_a_valid_page_list_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>")
    with pytest.raises(ValueError, match=r"pages\.json: not a storefront page list"):
        page_paths(tmp_path)
    for broken in ('{"path": "/"}', '[{"path": "no-slash", "page": "x"}]', "[1]", "7"):
        (tmp_path / PAGES_FILE).write_text(broken)
        with pytest.raises(ValueError, match=r"expected a list of"):
            page_paths(tmp_path)


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
