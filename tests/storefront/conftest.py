"""The demo shop (`shopgraph dev`) served on loopback for the storefront's browser tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shopgraph.dev import create_dev_app
from shopgraph.loopback import free_port, served
from subgraphs.platform.settings import Settings
from tests.storefront.browser import Shop


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[Shop]:
    port = free_port()
    app = create_dev_app(settings, port)
    async with served(app, port) as url:
        yield Shop(url, app)
