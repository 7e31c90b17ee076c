"""A running users subgraph per test, on each storage backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from subgraphs.platform.settings import Settings
from subgraphs.users.app import create_app
from subgraphs.users.services import UserServices
from tests.graphql import execute, serve

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    user { id username email role }
    accessToken refreshToken
    errors { field message code }
  }
}"""

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    user { id username role }
    accessToken refreshToken
    errors { field message code }
  }
}"""


@dataclass
class UsersSubgraph:
    client: httpx.AsyncClient
    services: UserServices

    async def register(
        self, username: str, email: str | None = None, password: str = "correct horse"
    ) -> dict[str, Any]:
        body = await execute(
            self.client,
            REGISTER,
            {
                "input": {
                    "username": username,
                    "email": email or f"{username}@example.com",
                    "password": password,
                }
            },
        )
        payload: dict[str, Any] = body["data"]["register"]
        return payload

    async def login(self, email: str, password: str = "correct horse") -> dict[str, Any]:
        body = await execute(self.client, LOGIN, {"input": {"email": email, "password": password}})
        payload: dict[str, Any] = body["data"]["login"]
        return payload


@pytest.fixture
async def users(settings: Settings) -> AsyncIterator[UsersSubgraph]:
    app = create_app(settings)
    async with serve(app, "http://users") as client:
        yield UsersSubgraph(client, app.state.services)
