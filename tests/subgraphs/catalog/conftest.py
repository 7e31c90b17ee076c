"""A running catalog subgraph per test, on each storage backend, with tokens to call it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from subgraphs.catalog.app import create_app
from subgraphs.catalog.services import CatalogServices
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.service_token import HEADER
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
        that count statements wait for it so its queries do not count.
        """
        from subgraphs.catalog.search.port import SearchQuery

        for _ in range(400):
            await self.services.relay.relay_once()
            live = await self.query("{ products(first: 0) { totalCount } }")
            page = await self.services.search.search(SearchQuery(text="", first=1))
            if page.total == live["data"]["products"]["totalCount"]:
                await asyncio.sleep(0.05)  # let the last index write finish
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the search index did not catch up")

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
