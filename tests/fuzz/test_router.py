"""Generated operations, mutations included, against the router of `shopgraph dev`.

The same checks as the subgraph fuzzing (tests/fuzz/test_subgraphs.py), through
the whole platform: planning, fetches to every subgraph over HTTP, merging.
Found so far: a cost estimate past 64 bits made the router answer 500 (orjson
cannot write it); estimates now saturate at 2**53 - 1.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx

from router.supergraph import load_supergraph
from shopgraph.dev import create_dev_app
from shopgraph.loopback import free_port, served
from subgraphs.platform.settings import Settings
from tests.conftest import SERVICE_TOKEN
from tests.fuzz.test_subgraphs import fuzz

# Each example crosses HTTP to several subgraphs: fewer fit in CI's budget.
EXAMPLES = int(os.environ.get("SHOPGRAPH_FUZZ_ROUTER_EXAMPLES", "400"))
SUPERGRAPH = Path(__file__).parents[2] / "schema" / "supergraph.graphql"
REGISTER = """
mutation { register(input: {username: "fuzzer", email: "fuzzer@example.com",
  password: "long enough"}) { accessToken errors { code } } }"""


def test_generated_operations_through_the_router_never_fail_inside(
    tmp_path: Path, signing_key_pem: str
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        jwt_private_key=signing_key_pem,
        service_token=SERVICE_TOKEN,
    )
    schema = load_supergraph(SUPERGRAPH.read_text()).api_schema
    port = free_port()
    loop = asyncio.new_event_loop()
    context = served(create_dev_app(settings, port), port)
    url = loop.run_until_complete(context.__aenter__())
    client = httpx.AsyncClient(base_url=url, timeout=30)
    try:
        registered = loop.run_until_complete(client.post("/graphql", json={"query": REGISTER}))
        token = registered.json()["data"]["register"]["accessToken"]
        callers: list[dict[str, str]] = [{}, {"authorization": f"Bearer {token}"}]

        fuzz(loop, client, schema, callers, EXAMPLES)
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(context.__aexit__(None, None, None))
        loop.close()
