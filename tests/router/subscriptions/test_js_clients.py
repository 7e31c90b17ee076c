"""Subscriptions through the router with the JavaScript clients people use, from npm.

`graphql-ws` (WebSocket), `graphql-sse` (SSE, distinct connections) and Apollo
Client 4 (multipart subscriptions over its HttpLink), pinned in
`clients/package.json` and installed with `npm ci` into a temporary folder once
per test session. Each follows an order from PENDING_PAYMENT to PAID with the
user and products joined from users and catalog, and another customer gets no
event of it; graphql-ws reconnects by itself when a hot reload ends its
subscription with 1012. Without Node.js or npm the tests skip, except under `CI=true`,
where they fail.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.backends import missing
from tests.router.subscriptions.conftest import STATUS, DevShop, second_router, status_event
from tests.router.subscriptions.test_reload import reload

CLIENTS = Path(__file__).parent / "clients"
TRANSPORTS = ["graphql-ws", "graphql-sse", "apollo"]
CLIENT_TIMEOUT_SECONDS = 60


@pytest.fixture(scope="session")
def clients_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing("Node.js and npm are needed to run the JavaScript clients")
    directory = tmp_path_factory.mktemp("js-clients")
    for name in ("package.json", "package-lock.json", "subscribe.mjs"):
        shutil.copy(CLIENTS / name, directory / name)
    completed = subprocess.run(  # noqa: S603 - a fixed npm command line, no user input
        [str(npm), "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(f"npm ci of the JavaScript clients failed:\n{completed.stderr[-3000:]}")
    return directory


async def run_client(
    directory: Path, transport: str, shop: DevShop, token: str, order_id: str
) -> list[dict[str, Any]]:
    """What the client printed: one result per line, up to PAID or the first error."""
    process = await asyncio.create_subprocess_exec(
        "node",
        "subscribe.mjs",
        transport,
        shop.graphql_url,
        token,
        STATUS,
        json.dumps({"id": order_id}),
        "PAID",
        cwd=directory,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(CLIENT_TIMEOUT_SECONDS):
            stdout, stderr = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0, stderr.decode()
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_customer_follows_the_order_to_paid(
    transport: str, clients_dir: Path, shop: DevShop
) -> None:
    ada = await shop.register("ada")
    order_id, product = await shop.place_order(ada)

    results = await run_client(clients_dir, transport, shop, ada.token, order_id)

    assert results == [
        status_event("PENDING_PAYMENT", ada, product),
        status_event("PAID", ada, product),
    ]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_another_customer_gets_no_event(
    transport: str, clients_dir: Path, shop: DevShop
) -> None:
    ada, bob = await shop.register("ada"), await shop.register("bob")
    order_id, _ = await shop.place_order(ada)

    results = await run_client(clients_dir, transport, shop, bob.token, order_id)

    [result] = results
    assert result["data"] is None
    assert [error["extensions"]["code"] for error in result["errors"]] == ["ORDER_NOT_FOUND"]


async def test_graphql_ws_subscribes_again_by_itself_after_a_hot_reload(
    clients_dir: Path, shop: DevShop
) -> None:
    ada = await shop.register("ada")
    order_id, product = await shop.place_order(ada)
    async with second_router(shop, drain_seconds=0.3) as router:
        process = await asyncio.create_subprocess_exec(
            *("node", "subscribe.mjs", "graphql-ws-retrying", f"{router.url}/graphql"),
            *(ada.token, STATUS, json.dumps({"id": order_id}), "PAID"),
            cwd=clients_dir,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        lines: list[dict[str, Any]] = []
        try:
            async with asyncio.timeout(CLIENT_TIMEOUT_SECONDS):
                lines.append(json.loads(await process.stdout.readline()))
                await reload(router)  # the old supergraph's subscriptions end after 0.3 s
                async for line in process.stdout:
                    lines.append(json.loads(line))
                await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

    assert lines[0] == status_event("PENDING_PAYMENT", ada, product)
    assert {"closed": 1012} in lines  # Service Restart: graphql-ws reconnected on it
    events = [line for line in lines if "closed" not in line]
    assert events[-1] == status_event("PAID", ada, product)  # on the new supergraph
    assert all(e["data"]["orderStatusChanged"]["user"] == {"username": "ada"} for e in events)
