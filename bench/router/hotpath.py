"""The router's work per request, without sockets: for profilers and instruction counts.

Runs N requests of one benchmark query through `Gateway.execute` against the
bench subgraphs answered in-process (`subgraphs.answer`, memoized, through JSON
bytes as over HTTP), so a profile shows the router's own hot path:
operation cache, plan cache, entity batches, merging, shaping and the final
`orjson.dumps`. The plan is made and cached before the timed requests.

    python bench/router/hotpath.py --query large --requests 200
    python bench/router/hotpath.py --query large --requests 200 --concurrency 50
    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \\
        python bench/router/hotpath.py --query large --requests 50

Instructions per request: the difference between two callgrind runs with
different --requests, divided by the difference in requests.

With --concurrency N, requests go N at a time (as the gateway benchmark's
connections do): identical queries in flight share one execution, so this
measures the router's cost per request under in-flight deduplication.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
import queries
from serve_router import LIST_SIZE

from router.config import RouterConfig
from router.execution import SubgraphClient, SubgraphResponse
from router.gateway import Gateway
from router.http.app import configured_telemetry
from router.operation import GraphQLRequest
from router.supergraph import load_supergraph
from subgraphs import answer

HERE = Path(__file__).parent
QUERIES = {"small": queries.SMALL, "two-jumps": queries.TWO_JUMPS, "large": queries.LARGE}


class InProcessClient(SubgraphClient):
    """A subgraph client whose subgraph answers in this process, through JSON bytes."""

    async def start(self) -> None:
        pass

    @property
    def is_open(self) -> bool:
        return True

    async def fetch(
        self, operation: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> SubgraphResponse:
        body = orjson.dumps({"query": operation, "variables": variables})
        return self._read(200, "application/json", answer(self.name, body))


def gateway() -> Gateway:
    # Metrics on, as `shopgraph router` serves by default; lists as long as the bench's.
    # Planning gets a minute: under valgrind it is ~50 times slower than its 1 s default.
    config = RouterConfig(cost_list_size=LIST_SIZE, planning_timeout_seconds=60)
    supergraph = load_supergraph((HERE / "supergraph.graphql").read_text())
    built = Gateway(supergraph, config, telemetry=configured_telemetry(config))
    built.clients = {name: InProcessClient(name, "", 1.0) for name in built.clients}
    built.executor.clients = built.clients
    return built


async def run(query: str, requests: int, concurrency: int = 1) -> tuple[float, int]:
    router = gateway()
    await router.start()  # as the app's lifespan does (it also freezes startup objects)
    request = GraphQLRequest(query=query)
    first = await router.execute(request, {})
    if "errors" in first.body:
        raise SystemExit(f"the router answered errors: {first.body['errors']}")
    size = len(orjson.dumps(first.body))
    started = time.perf_counter()
    for done in range(0, requests, concurrency):
        batch = min(concurrency, requests - done)
        answers = await asyncio.gather(*(router.execute(request, {}) for _ in range(batch)))
        for response in answers:
            response.encoded  # noqa: B018 - what the HTTP layer sends, encoded as it does
    return time.perf_counter() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--query", choices=sorted(QUERIES), default="large")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once")
    args = parser.parse_args()
    elapsed, size = asyncio.run(run(QUERIES[args.query], args.requests, args.concurrency))
    per_request = 1000 * elapsed / args.requests if args.requests else 0.0
    print(f"{args.query}: {args.requests} requests, answer {size} bytes, {per_request:.3f} ms each")


if __name__ == "__main__":
    main()
