"""Catalog refuses hostile documents sent to it directly, before validating or running them."""

from __future__ import annotations

import time

import pytest

from subgraphs.catalog.app import create_app
from subgraphs.platform.settings import Settings
from tests.graphql import post, serve
from tests.router.operation.test_documents import doubling
from tests.statements import recorded_statements
from tests.subgraphs.catalog.conftest import CatalogSubgraph

PAGES = " ".join(
    f'a{i}: searchProducts(query: "lamp", first: 100) {{ edges {{ node {{ category {{ id }} }} }} }}'
    for i in range(250)
)
SEARCHES = " ".join(
    f'a{i}: searchProducts(query: "lamp", first: 100) {{ totalCount }}' for i in range(1000)
)


@pytest.mark.parametrize(
    ("query", "message", "code"),
    [
        (
            f"{{ {SEARCHES} }}",
            "The operation uses 1000 aliases; the limit is 256.",
            "MAX_ALIASES_EXCEEDED",
        ),
        (
            "{ __schema { types { fields { " + "type { ofType { " * 33 + "name" + " }" * 70,
            "The operation is 70 fields deep; the limit is 64.",
            "MAX_DEPTH_EXCEEDED",
        ),
        (
            # 250 x (the search's weight 10 + 100 edges x (edge + product + category))
            f"{{ {PAGES} }}",
            "The operation's estimated cost is 77500; the limit (max cost) is 50000.",
            "COST_LIMIT_EXCEEDED",
        ),
        (
            doubling(29, ("A", "B")),
            "The operation selects 1073741825 fields once its fragments are expanded; "
            "the limit (max query nodes) is 5000.",
            "MAX_QUERY_NODES_EXCEEDED",
        ),
    ],
)
async def test_a_document_past_a_limit_is_refused_without_touching_the_database(
    catalog: CatalogSubgraph, query: str, message: str, code: str
) -> None:
    with recorded_statements(catalog.services.database.engine) as statements:
        started = time.perf_counter()
        response = await catalog.client.post("/graphql", json={"query": query})
        seconds = time.perf_counter() - started

    assert response.status_code == 400
    body = response.json()
    assert body["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [(message, code)]
    assert statements == []
    # A guard against the stall (1000 aliases once took 17.7 s), not a speed figure: a
    # tight bound failed on a busy CI machine (1.4 s); the benches measure speed.
    assert seconds < 10.0


async def test_a_document_past_the_token_limit_is_refused_while_parsing(
    catalog: CatalogSubgraph,
) -> None:
    response = await catalog.client.post(
        "/graphql", json={"query": "{ " + "__typename " * 20_001 + "}"}
    )

    assert response.status_code == 400
    assert [e["message"] for e in response.json()["errors"]] == [
        "Syntax Error: Document contains more than 20000 tokens. Parsing aborted."
    ]


async def test_the_limits_come_from_the_settings(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPGRAPH_SUBGRAPH_MAX_ALIASES", "2")
    monkeypatch.setenv("SHOPGRAPH_SUBGRAPH_MAX_DEPTH", "3")
    configured = Settings(
        **settings.model_dump(exclude={"subgraph_max_aliases", "subgraph_max_depth"})
    )
    assert (configured.subgraph_max_aliases, configured.subgraph_max_depth) == (2, 3)
    three = "{ a: categories { id } b: categories { id } c: categories { id } }"
    deep = "{ products { edges { node { category { id } } } } }"
    async with serve(create_app(configured), "http://catalog") as client:
        refused = [(await post(client, query)).json() for query in (three, deep)]
        fine = (await post(client, "{ a: categories { id } b: categories { id } }")).json()

    assert refused == [
        {
            "data": None,
            "errors": [
                {
                    "message": "The operation uses 3 aliases; the limit is 2.",
                    "extensions": {"code": "MAX_ALIASES_EXCEEDED"},
                }
            ],
        },
        {
            "data": None,
            "errors": [
                {
                    "message": "The operation is 5 fields deep; the limit is 3.",
                    "extensions": {"code": "MAX_DEPTH_EXCEEDED"},
                }
            ],
        },
    ]
    assert fine == {"data": {"a": [], "b": []}}
