"""`shopgraph router plan` and friends, run in-process."""

from __future__ import annotations

from pathlib import Path

import uvicorn
import uvloop
from starlette.applications import Starlette
from typer.testing import CliRunner
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from shopgraph.cli import app
from shopgraph.router_cli import serving_options

runner = CliRunner()
SHOP = Path(__file__).parents[1] / "router" / "planning" / "supergraphs" / "shop.graphql"


def test_router_plan_prints_the_plan(tmp_path: Path) -> None:
    query = tmp_path / "q.graphql"
    query.write_text("query Top { topProducts { name inStock } }")
    result = runner.invoke(
        app, ["router", "plan", "--supergraph", str(SHOP), "--query", str(query)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("QueryPlan {\n  Sequence {\n")
    assert 'Fetch(service: "products")' in result.output
    assert 'Flatten(path: "topProducts.@")' in result.output
    assert 'Fetch(service: "inventory")' in result.output


def test_router_plan_reports_invalid_operations(tmp_path: Path) -> None:
    query = tmp_path / "q.graphql"
    query.write_text("{ topProducts { colour } }")
    result = runner.invoke(
        app, ["router", "plan", "--supergraph", str(SHOP), "--query", str(query)]
    )
    assert result.exit_code == 1
    assert "Cannot query field 'colour' on type 'Product'." in result.output


def test_router_plan_reports_a_broken_supergraph(tmp_path: Path) -> None:
    supergraph = tmp_path / "s.graphql"
    supergraph.write_text("type Query { a: Int }")
    query = tmp_path / "q.graphql"
    query.write_text("{ a }")
    result = runner.invoke(
        app, ["router", "plan", "--supergraph", str(supergraph), "--query", str(query)]
    )
    assert result.exit_code == 1
    assert "not a Federation v2 supergraph" in result.output


def test_the_committed_supergraph_is_current() -> None:
    """schema/supergraph.graphql is what `shopgraph schema compose` writes today."""
    from shopgraph.supergraph import compose_subgraphs

    committed = Path(__file__).parents[2] / "schema" / "supergraph.graphql"
    assert committed.read_text() == compose_subgraphs(), "run `shopgraph schema compose`"


def test_schema_compose_refuses_an_unknown_subgraph_url(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["schema", "compose", "--out", str(tmp_path / "s.graphql"), "--url", "shop=http://x"]
    )
    assert result.exit_code == 2
    assert "expected NAME=URL" in result.output


def test_router_refuses_an_unreadable_trusted_documents_manifest(tmp_path: Path) -> None:
    missing = tmp_path / "manifest.json"
    result = runner.invoke(
        app,
        [
            "router",
            "--supergraph",
            str(Path(__file__).parents[2] / "schema" / "supergraph.graphql"),
        ],
        env={"SHOPGRAPH_ROUTER_TRUSTED_DOCUMENTS_MANIFEST": str(missing)},
    )
    assert result.exit_code == 1
    assert "cannot read the trusted documents manifest" in result.output


def test_the_router_is_served_on_uvloop_and_httptools() -> None:
    options = serving_options("127.0.0.1", 4000, 2, 10.0, "text")
    config = uvicorn.Config(Starlette, **options)  # a factory, as the worker app is
    config.load()
    loop = config.get_loop_factory()
    assert loop is not None

    assert config.http_protocol_class is HttpToolsProtocol
    running = loop()
    try:
        assert isinstance(running, uvloop.Loop)
    finally:
        running.close()
    assert (config.workers, config.timeout_graceful_shutdown) == (2, 10)


def test_the_router_writes_no_access_log_unless_asked() -> None:
    assert serving_options("127.0.0.1", 4000, 1, 10.0, "text")["access_log"] is False
    assert serving_options("127.0.0.1", 4000, 1, 10.0, "text", True)["access_log"] is True
