"""The demo shop (`shopgraph dev`) served on loopback for the storefront's browser tests.

One shop serves every test of a module: starting and seeding a shop costs more than
most tests, and each test works as its own customers (its own browser profile,
usernames and products), as shoppers share a real shop. A module that needs a shop
of its own kind (short-lived tokens, trusted documents enforced) makes it from
`settings`.

The buyer's journeys (`SHOP_BACKENDS` in their module) run on SQLite and on
PostgreSQL; the other modules on SQLite: what they add over the journeys is the
browser's side, and the API's SQL under them is tested on both backends by the
subgraphs' own tests.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shopgraph.dev import create_dev_app
from shopgraph.loopback import free_port, served
from subgraphs.platform.settings import Settings
from tests.conftest import throwaway_database
from tests.storefront.browser import Shop

DEFAULT_BACKENDS = ("sqlite",)


@pytest.hookimpl(tryfirst=True)  # before the `backend` fixture's own params apply
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The backends of a module's shop: its `SHOP_BACKENDS`, else SQLite alone."""
    if "backend" in metafunc.fixturenames:
        backends = getattr(metafunc.module, "SHOP_BACKENDS", DEFAULT_BACKENDS)
        metafunc.parametrize("backend", backends, scope="module")


@pytest.fixture(scope="module")
def shop_database(backend: str) -> Iterator[str | None]:
    """A PostgreSQL database of the module's own (None on SQLite), dropped after it.

    Not the session's database: tests that make their own shop from `settings` drop
    every schema there after them, and this shop lives on across those tests.
    """
    if backend != "postgres":
        yield None
        return
    yield from throwaway_database("shopgraph_storefront")


@pytest.fixture(scope="module")
async def shop(
    shop_database: str | None, signing_key_pem: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Shop]:
    """The module's demo shop, seeded, on a free loopback port."""
    data_dir: Path = tmp_path_factory.mktemp("shop") / "data"
    settings = Settings(
        data_dir=data_dir,
        database_url=shop_database,
        jwt_private_key=signing_key_pem,
        service_token=secrets.token_urlsafe(32),
    )
    port = free_port()
    app = create_dev_app(settings, port)
    async with served(app, port) as url:
        yield Shop(url, app)
