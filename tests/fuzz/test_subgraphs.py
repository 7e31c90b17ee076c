"""Generated operations, mutations included, against each subgraph on its own URL.

hypothesis-graphql draws valid documents with arbitrary arguments from each
subgraph's schema (`_entities` gets representations good and bad), sent
anonymously, as a customer and as staff. No answer may be a 5xx, carry
INTERNAL_SERVER_ERROR, or show a traceback or SQL. Seeded (derandomized): CI
runs a small budget; `make fuzz` sets SHOPGRAPH_FUZZ_EXAMPLES=10000.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLSchema, ValueNode, parse_value
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries
from starlette.applications import Starlette

from subgraphs.catalog.app import create_app as catalog_app
from subgraphs.catalog.schema import schema as catalog_schema
from subgraphs.commerce.app import create_app as commerce_app
from subgraphs.commerce.schema import schema as commerce_schema
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.insights.app import create_app as insights_app
from subgraphs.insights.schema import schema as insights_schema
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.settings import Settings
from subgraphs.social.app import create_app as social_app
from subgraphs.social.schema import schema as social_schema
from subgraphs.users.app import create_app as users_app
from subgraphs.users.schema import schema as users_schema
from tests.conftest import SERVICE_TOKEN
from tests.graphql import serve

APPS: dict[str, Callable[[Settings], Starlette]] = {
    "users": users_app,
    "catalog": catalog_app,
    "commerce": commerce_app,
    "social": social_app,
    "insights": insights_app,
}
SCHEMAS = {
    "users": users_schema,
    "catalog": catalog_schema,
    "commerce": commerce_schema,
    "social": social_schema,
    "insights": insights_schema,
}
# With the router suite, about 90 s in CI on two shared cores (measured 83 s).
EXAMPLES = int(os.environ.get("SHOPGRAPH_FUZZ_EXAMPLES", "800"))
LEAKS = ("Traceback", "sqlalchemy", "sqlite3", "asyncpg", "SELECT ", "INSERT INTO", "UPDATE ")
REPRESENTATIONS = [
    '{__typename: "User", id: "u1"}',
    '{__typename: "Product", id: "p1"}',
    '{__typename: "Order", id: "o1"}',
    '{__typename: "Review", id: "r1"}',
    '{__typename: "Nope", id: "x"}',
    '{id: "no-typename"}',
    '{__typename: "Product"}',
    '"a string"',
    "42",
]


def _scalars() -> dict[str, st.SearchStrategy[ValueNode]]:
    texts = st.text(max_size=30)
    return {
        "DateTime": st.one_of(
            st.datetimes(timezones=st.just(UTC)).map(
                lambda moment: nodes.String(moment.isoformat())
            ),
            texts.map(nodes.String),
        ),
        "Decimal": st.one_of(
            st.sampled_from(["1E+400", "NaN", "-0", "0.001", "-Infinity", "12.50"]),
            st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
            texts,
        ).map(nodes.String),
        "_Any": st.sampled_from(REPRESENTATIONS).map(parse_value),
        "_FieldSet": texts.map(nodes.String),
        "JSON": texts.map(nodes.String),
    }


def _operations(schema: GraphQLSchema) -> st.SearchStrategy[object]:
    scalars = _scalars()
    return st.one_of(
        queries(schema, custom_scalars=scalars), mutations(schema, custom_scalars=scalars)
    )


def fuzz(
    loop: asyncio.AbstractEventLoop,
    client: httpx.AsyncClient,
    schema: GraphQLSchema,
    callers: list[dict[str, str]],
    examples: int,
) -> None:
    """Sends `examples` generated operations to `client`'s /graphql as each of `callers`."""

    @hypothesis_settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(document=_operations(schema), caller=st.sampled_from(callers))
    def answers_cleanly(document: Any, caller: dict[str, str]) -> None:
        response = loop.run_until_complete(
            client.post("/graphql", json={"query": str(document)}, headers=caller)
        )
        assert _problems(response) == [], (str(document), response.text[:2000])

    answers_cleanly()


def _problems(response: httpx.Response) -> list[str]:
    found = []
    if response.status_code >= 500:
        found.append(f"HTTP {response.status_code}")
    text = response.text
    found += [f"leaks {leak!r}" for leak in LEAKS if leak in text]
    if "INTERNAL_SERVER_ERROR" in text:
        found.append("INTERNAL_SERVER_ERROR")
    return found


@pytest.mark.parametrize("name", list(APPS))
def test_generated_operations_never_fail_inside(
    name: str, tmp_path: Path, signing_key_pem: str
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        jwt_private_key=signing_key_pem,
        service_token=SERVICE_TOKEN,
    )
    # Nothing listens at port 9: commerce's calls to catalog fail fast, as in an outage.
    app = (
        commerce_app(settings, commerce=CommerceSettings(catalog_url="http://127.0.0.1:9/graphql"))
        if name == "commerce"
        else APPS[name](settings)
    )
    loop = asyncio.new_event_loop()
    context = serve(app, f"http://{name}")
    client = loop.run_until_complete(context.__aenter__())
    try:
        tokens = app.state.platform_tokens
        callers: list[dict[str, str]] = [
            {},
            {"authorization": f"Bearer {tokens.issue(Principal('fuzz-customer', Role.CUSTOMER))}"},
            {"authorization": f"Bearer {tokens.issue(Principal('fuzz-staff', Role.STAFF))}"},
        ]
        # graphql-core's own schema: the SDL lacks the federation directive definitions.
        schema = SCHEMAS[name]._schema

        fuzz(loop, client, schema, callers, EXAMPLES)
    finally:
        loop.run_until_complete(context.__aexit__(None, None, None))
        loop.close()
