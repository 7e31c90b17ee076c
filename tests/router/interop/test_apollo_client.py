"""Apollo Client 4 (npm) runs queries through the router with automatic persisted queries.

The client's own `PersistedQueryLink` sends the hash alone, gets
`PERSISTED_QUERY_NOT_FOUND`, retries with the query; a second client then
gets its answer by the hash alone, over POST and over GET. Node packages
are pinned in `apollo/package-lock.json` and installed once into a cache
named by the lock's hash. Without Node.js or npm the tests skip, except
under `CI=true`, where they fail.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from router.config import RouterConfig
from router.http import create_router_app
from shopgraph.loopback import free_port, served
from tests.backends import missing
from tests.router.execution.fakes import answer, subgraphs
from tests.router.execution.shop import SDL
from tests.router.harness.npm import NpmFailed, npm_ci

PACKAGE_DIR = Path(__file__).parent / "apollo"


def apollo_dir() -> Path:
    """The pinned install, made on first use: `npm ci` in a staging folder, then one rename."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        missing("Node.js or npm is not installed (needed for the Apollo Client tests)")
    lock = (PACKAGE_DIR / "package-lock.json").read_bytes()
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shopgraph"
    directory = root / f"apollo-client-{hashlib.sha256(lock).hexdigest()[:16]}"
    if not _installed(directory):
        try:
            npm_ci(PACKAGE_DIR, directory, _installed)
        except NpmFailed as error:
            pytest.fail(str(error))
    return directory


def _installed(directory: Path) -> bool:
    return (directory / "node_modules" / "@apollo" / "client" / "package.json").is_file()


async def run_apollo(url: str, mode: str) -> dict[str, Any]:
    directory = apollo_dir()
    # The script is run from the package folder, so its imports find node_modules.
    shutil.copyfile(PACKAGE_DIR / "apq.mjs", directory / "apq.mjs")
    process = await asyncio.create_subprocess_exec(
        "node",
        "apq.mjs",
        url,
        mode,
        cwd=directory,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out)
    return result


def extensions(request: dict[str, Any]) -> Any:
    """The persistedQuery extension a request carried, in its body or its URL."""
    if request["method"] == "GET":
        return json.loads(request["query"]["extensions"])["persistedQuery"]
    return request["body"]["extensions"]["persistedQuery"]


@pytest.mark.parametrize("mode", ["post", "get"])
async def test_apollo_clients_persisted_query_link_registers_then_sends_the_hash(
    mode: str,
) -> None:
    port = free_port()
    async with subgraphs(users=answer({"me": {"name": "Ada"}})) as fakes:
        config = RouterConfig(subgraph_urls={"users": fakes["users"].url})
        async with served(create_router_app(SDL, config), port) as url:
            result = await run_apollo(f"{url}/graphql", mode)

    me = {"me": {"__typename": "User", "name": "Ada"}}
    assert result["results"] == [{"data": me, "error": None}] * 2
    document = result["sent"][1]["body"]["query"]  # with the __typename Apollo adds
    hashed = {"version": 1, "sha256Hash": hashlib.sha256(document.encode()).hexdigest()}
    sent = [
        (request["method"], "query" in (request["body"] or request["query"]), extensions(request))
        for request in result["sent"]
    ]
    first = "GET" if mode == "get" else "POST"
    assert sent == [(first, False, hashed), ("POST", True, hashed), (first, False, hashed)]
    assert len(fakes["users"].received) == 2
