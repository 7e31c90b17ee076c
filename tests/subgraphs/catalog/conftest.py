"""A running catalog subgraph per test, on each storage backend, with tokens to call it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from subgraphs.catalog.app import create_app
from subgraphs.catalog.indexer import CONSUMER as INDEXER
from subgraphs.catalog.services import CatalogServices
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.service_token import HEADER
from subgraphs.platform.events import InProcessBus
from subgraphs.platform.settings import Settings
from tests.graphql import execute, serve

CREATE = """
mutation Create($input: ProductInput!) {
  createProduct(input: $input) {
    product { id name description price { amount currency } stock inStock category { id name } }
    errors { field code message }
  }
}"""


@dataclass
class CatalogSubgraph:
    client: httpx.AsyncClient
    services: CatalogServices
    staff_token: str
    customer_token: str
    service_token: str

    async def query(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        return await execute(self.client, query, variables, token)

    async def internal(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={HEADER: self.service_token},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def indexed(self) -> None:
        """Waits until background indexing has caught up with every change made so far.

        The indexer follows product events on the subgraph's own engine; tests
        that count statements wait for it so its queries do not count. Caught up:
        the outbox is relayed and the indexer settled every event it was sent.
        """
        bus = self.services.bus
        assert isinstance(bus, InProcessBus), "catalog tests run on the in-process bus"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60  # generous: a busy machine indexes slowly
        while await self.services.relay.relay_once() or bus.backlog(INDEXER) > 0:
            if loop.time() > deadline:
                raise AssertionError(f"the search index did not catch up: {bus.backlog(INDEXER)}")
            await asyncio.sleep(0.01)  # polls the idle condition, with the deadline above

    async def create(self, **fields: Any) -> dict[str, Any]:
        values = {
            "name": "Thing",
            "description": "A thing.",
            "price": "10.00",
            "stock": 5,
            **fields,
        }
        body = await self.query(CREATE, {"input": values}, self.staff_token)
        payload: dict[str, Any] = body["data"]["createProduct"]
        return payload


@pytest.fixture
async def catalog(settings: Settings) -> AsyncIterator[CatalogSubgraph]:
    app = create_app(settings)
    async with serve(app, "http://catalog") as client:
        services: CatalogServices = app.state.services
        tokens = app.state.platform_tokens
        yield CatalogSubgraph(
            client,
            services,
            tokens.issue(Principal("staff-1", Role.STAFF)),
            tokens.issue(Principal("customer-1", Role.CUSTOMER)),
            settings.service_token.get_secret_value() if settings.service_token else "",
        )
