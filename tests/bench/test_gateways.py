"""bench/gateways keeps working without Node: shopgraph's router answers its query as the oracle does.

The benchmark's subgraphs and the router run in this process on loopback
ports, the supergraph composed by our composer, the router configured by the
bench's own router.yaml, so a change to any of them that breaks the bench
fails here first.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import guild_subgraphs
import oracle
import orjson
import wrk_load

from router.composition import SubgraphSource, compose
from router.config_file import load_router_config
from router.http import create_router_app
from shopgraph.loopback import free_port, served

ROUTER_CONFIG = Path(__file__).parents[2] / "bench" / "gateways" / "router.yaml"


async def test_the_router_answers_the_benchmark_query_as_the_oracle() -> None:
    async with served(guild_subgraphs.create_app(), free_port()) as subgraphs:
        composed = compose(
            [
                SubgraphSource(name, f"{subgraphs}/{name}", guild_subgraphs.SDL[name])
                for name in guild_subgraphs.NAMES
            ]
        )
        assert composed.errors == ()
        assert composed.supergraph_sdl is not None
        config = load_router_config(ROUTER_CONFIG, environment=False)
        router = create_router_app(composed.supergraph_sdl, config)
        async with served(router, free_port()) as base, aiohttp.ClientSession() as session:
            for _ in range(2):  # the second answer comes from the cached plan
                async with session.post(
                    f"{base}/graphql",
                    data=orjson.dumps({"query": oracle.QUERY}),
                    headers={"content-type": "application/json"},
                ) as response:
                    assert response.status == 200
                    body = await response.read()
                answer = orjson.loads(body)
                assert answer == oracle.expected_answer(), oracle.first_difference(
                    oracle.expected_answer(), answer
                )
                # Fields in the order the query asks them, as GraphQL requires.
                assert body == orjson.dumps(oracle.expected_answer())


def test_the_oracle_answer_has_the_benchmark_size() -> None:
    """About 87 KB, as the public benchmark's answer: the data shape was kept."""
    assert len(orjson.dumps(oracle.expected_answer())) == 87327


async def test_the_subgraphs_answer_entities_and_their_sdl() -> None:
    reviews = guild_subgraphs.subgraphs()["reviews"]
    query = (
        "query($r: [_Any!]!) { _service { sdl } _entities(representations: $r) {"
        " ... on User { reviews { id author { id username } } } } }"
    )
    answer = reviews.execute(
        {"query": query, "variables": {"r": [{"__typename": "User", "id": "4"}, {"x": 1}]}}
    )
    assert answer["data"] == {
        "_service": {"sdl": guild_subgraphs.SDL["reviews"]},
        "_entities": [
            {
                "reviews": [
                    {"id": "1", "author": {"id": "1", "username": "urigo"}},
                    {"id": "2", "author": {"id": "1", "username": "urigo"}},
                ]
            },
            None,
        ],
    }
    assert [error["path"] for error in answer["errors"]] == [["_entities", 1]]


def test_a_wrk_report_is_read() -> None:
    report = """\
Running 10s test @ http://127.0.0.1:23010/graphql
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.73s   908.16ms   4.15s    78.79%
    Req/Sec    34.98     42.63   168.00     86.67%
  Latency Distribution
     50%    1.42s
     75%    1.76s
     90%    3.64s
     99%  412.50ms
  231 requests in 10.11s, 19.28MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:     22.85
Transfer/sec:      1.91MB
"""
    assert wrk_load.parse_report(report, cpu_seconds=0.5) == wrk_load.Load(
        requests=231,
        seconds=10.11,
        rps=22.85,
        p50_ms=1420.0,
        p99_ms=412.5,
        errors=9,
        cpu_seconds=0.5,
    )
