"""A running insights subgraph per test (no Kafka: the in-process bus feeds its
SQLite analytics store), on each storage backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest

from subgraphs.insights.app import create_app
from subgraphs.insights.services import InsightsServices
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.platform.settings import Settings
from tests.graphql import serve

T = TypeVar("T")
WAIT = 10.0

TRACK = """
mutation Track($input: TrackEventInput!) {
  trackEvent(input: $input) { accepted errors { field code message } }
}"""


@dataclass
class InsightsSubgraph:
    client: httpx.AsyncClient
    services: InsightsServices
    tokens: AccessTokens

    def token(self, user_id: str, role: Role = Role.CUSTOMER) -> str:
        return self.tokens.issue(Principal(user_id, role))

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        session: str | None = None,
    ) -> dict[str, Any]:
        headers = {}
        if token:
            headers["authorization"] = f"Bearer {token}"
        if session:
            headers["x-shopgraph-session"] = session
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def track(
        self, input: dict[str, Any], session: str | None = None, token: str | None = None
    ) -> dict[str, Any]:
        body = await self.post(TRACK, {"input": input}, token, session)
        payload: dict[str, Any] = body["data"]["trackEvent"]
        return payload


async def eventually(read: Callable[[], Awaitable[T]], wanted: T, within: float = WAIT) -> T:
    """`read()` once it returns `wanted`; its last value if that never happens in time."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await read()
        if value == wanted or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.05)


async def until(condition: Callable[[], bool], within: float = WAIT) -> None:
    """Return once `condition()` holds; fail if it does not within `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(0.02)


@pytest.fixture
async def insights(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[InsightsSubgraph]:
    monkeypatch.setenv("SHOPGRAPH_TRACK_RATE_LIMIT", "5")
    app = create_app(settings.model_copy(update={"tracking_flush_seconds": 0.05}))
    async with serve(app, "http://insights") as client:
        yield InsightsSubgraph(client, app.state.services, app.state.platform_tokens)
