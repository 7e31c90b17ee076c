"""Test subgraphs on real HTTP: one aiohttp server per subgraph on 127.0.0.1.

Every request a subgraph receives is recorded, per subgraph and in one log
across all of them (arrival order), so tests can assert fetch budgets and
the order in which mutations reached the subgraphs.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from tests.router.harness.subgraph import Subgraph, SubgraphSpec

HOST = "127.0.0.1"


@dataclass(frozen=True)
class RecordedRequest:
    subgraph: str
    query: str
    variables: Mapping[str, Any] = field(default_factory=dict)
    operation_name: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def representations(self) -> list[Any]:
        """Representations sent, over every `_entities` of the request (batching routers
        alias several, with variables like `$_v0_representations`)."""
        found: list[Any] = []
        for name, value in self.variables.items():
            if name.endswith("representations") and isinstance(value, list):
                found += value
        return found


class ServedSubgraphs(Mapping[str, str]):
    """Subgraph name -> URL of its GraphQL endpoint, plus what each one received."""

    def __init__(self) -> None:
        self._urls: dict[str, str] = {}
        self.log: list[RecordedRequest] = []

    def __getitem__(self, name: str) -> str:
        return self._urls[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._urls)

    def __len__(self) -> int:
        return len(self._urls)

    def requests(self, name: str) -> list[RecordedRequest]:
        return [request for request in self.log if request.subgraph == name]

    def fetch_counts(self) -> dict[str, int]:
        """Requests received per subgraph, every served subgraph included."""
        return {name: len(self.requests(name)) for name in self._urls}

    def representation_counts(self) -> dict[str, int]:
        """Entity representations received per subgraph, over all its requests."""
        return {
            name: sum(len(r.representations) for r in self.requests(name)) for name in self._urls
        }

    def sequence(self) -> list[str]:
        """Subgraph names in the order their requests arrived."""
        return [request.subgraph for request in self.log]

    def clear(self) -> None:
        self.log.clear()


@asynccontextmanager
async def serve_subgraphs(specs: Sequence[SubgraphSpec]) -> AsyncIterator[ServedSubgraphs]:
    served = ServedSubgraphs()
    runners: list[web.AppRunner] = []
    try:
        for spec in specs:
            if spec.name in served:
                raise ValueError(f"two subgraphs are named {spec.name}")
            if spec.down:
                served._urls[spec.name] = f"http://{HOST}:{_closed_port()}/graphql"
                continue
            runner = web.AppRunner(_app(Subgraph(spec), served), shutdown_timeout=0.5)
            runners.append(runner)
            await runner.setup()
            site = web.TCPSite(runner, HOST, 0)
            await site.start()
            port = runner.addresses[0][1]
            served._urls[spec.name] = f"http://{HOST}:{port}/graphql"
        yield served
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


def _app(subgraph: Subgraph, served: ServedSubgraphs) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return web.Response(status=400, text="the body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return web.Response(status=400, text="no query in the body")
        variables = body.get("variables") or {}
        operation_name = body.get("operationName")
        served.log.append(
            RecordedRequest(
                subgraph=subgraph.spec.name,
                query=body["query"],
                variables=variables,
                operation_name=operation_name,
                headers=dict(request.headers),
            )
        )
        result = await subgraph.execute(body["query"], variables, operation_name)
        return web.Response(body=orjson.dumps(result), content_type="application/json")

    app = web.Application()
    app.router.add_post("/graphql", handle)
    return app


def _closed_port() -> int:
    """A port nothing listens on: bound once to learn a free number, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port
