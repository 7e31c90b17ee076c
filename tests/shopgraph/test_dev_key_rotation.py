"""`shopgraph keys rotate` while the platform runs: no process restarts, no caller is lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from shopgraph.cli import app
from shopgraph.dev import create_dev_app
from shopgraph.loopback import free_port, served
from subgraphs.platform.settings import Settings

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken errors { code } }
}"""
LOGIN = """
mutation Login($input: LoginInput!) { login(input: $input) { accessToken errors { code } } }"""
ME = "{ me { username } }"


@pytest.fixture
def key_file(settings: Settings) -> Path:
    return settings.data_dir / "keys" / "signing.pem"


@pytest.fixture
async def dev(settings: Settings, key_file: Path) -> AsyncIterator[httpx.AsyncClient]:
    # The key comes from a file, as in compose.yaml, so that rotating the file rotates it.
    settings = settings.model_copy(
        update={"jwt_private_key": None, "jwt_private_key_file": key_file}
    )
    CliRunner().invoke(app, ["keys", "generate", str(key_file)], catch_exceptions=False)
    port = free_port()
    async with (
        served(create_dev_app(settings, port), port) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        yield client


async def graphql(
    dev: httpx.AsyncClient, query: str, token: str | None = None, **variables: object
) -> dict[str, object]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await dev.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_tokens_of_the_new_and_the_old_key_pass_the_router_and_subgraphs(
    dev: httpx.AsyncClient, key_file: Path
) -> None:
    account = {"username": "rita", "email": "rita@example.com", "password": "long enough"}
    registered = await graphql(dev, REGISTER, input=account)
    before = registered["data"]["register"]["accessToken"]  # type: ignore[index]
    assert await graphql(dev, ME, before) == {"data": {"me": {"username": "rita"}}}

    rotated = CliRunner().invoke(app, ["keys", "rotate", str(key_file)])
    assert rotated.exit_code == 0, rotated.output

    login = {"email": "rita@example.com", "password": "long enough"}
    logged_in = await graphql(dev, LOGIN, input=login)
    after = logged_in["data"]["login"]["accessToken"]  # type: ignore[index]
    assert jwt.get_unverified_header(after)["kid"] != jwt.get_unverified_header(before)["kid"]
    assert await graphql(dev, ME, after) == {"data": {"me": {"username": "rita"}}}
    assert await graphql(dev, ME, before) == {"data": {"me": {"username": "rita"}}}
