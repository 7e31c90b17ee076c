"""`shopgraph dev` served on a real port, for the tests that drive the whole platform."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from shopgraph.dev import create_dev_app
from shopgraph.loopback import free_port, served
from subgraphs.platform.settings import Settings


@pytest.fixture
async def dev(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the dev app; its base_url is the app's http://127.0.0.1:PORT."""
    port = free_port()
    async with (
        served(create_dev_app(settings, port), port) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        yield client
