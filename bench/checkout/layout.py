"""The shop under load, started as the production layout or as one process, on real backends.

`processes` (the default) runs the programs `compose.yaml` runs, each its own
OS process on a loopback port of the bench's range: users, catalog and
commerce (`shopgraph serve NAME`), the router (`shopgraph router`), the
payments worker, the orders worker and the outbox relay (`shopgraph worker
payments`, `shopgraph worker orders`, `shopgraph worker outbox`, with
`SHOPGRAPH_ORDER_JOBS=worker`, `SHOPGRAPH_OUTBOX_RELAY=worker` and
`SHOPGRAPH_WORKER_NICENESS=10` as compose.yaml sets them; its workers' cpu_shares
are niceness here, on one host). It leaves out what a checkout does not wait for,
social and insights, and names their consumer groups in
`SHOPGRAPH_UNDEPLOYED_GROUPS`. `single` runs `shopgraph dev`, every subgraph,
the payments worker and the router in one process, on the same backends.

Either way the bench talks to the router only, as clients do; it reads
commerce's and catalog's tables afterwards (audit, stages) through `Database`s
of its own.
Each child's stderr goes to a file in the run's directory, shown when the
child dies before it is ready.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import aiohttp
import orjson
from cryptography.hazmat.primitives import serialization

from subgraphs.insights.subscriptions import SUBSCRIPTIONS as INSIGHTS_SUBSCRIPTIONS
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.keyring import load_key_ring
from subgraphs.platform.auth.keys import load_key_pair
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.platform.database import Database
from subgraphs.platform.settings import Settings
from subgraphs.social.subscriptions import SUBSCRIPTIONS as SOCIAL_SUBSCRIPTIONS

Layout = Literal["processes", "single"]
LAYOUTS: tuple[Layout, ...] = ("processes", "single")
READY_SECONDS = 120.0
STOP_SECONDS = 10.0
ROOT = Path(__file__).resolve().parents[2]
SUBGRAPHS = ("users", "catalog", "commerce")  # what a checkout touches
# The consumer groups of the subgraphs the processes layout leaves out.
NOT_RUN_GROUPS = [s.group for s in (*SOCIAL_SUBSCRIPTIONS, *INSIGHTS_SUBSCRIPTIONS)]


@dataclass(frozen=True)
class Shop:
    router_url: str
    tokens: AccessTokens
    commerce: Database
    catalog: Database
    processes: dict[str, int] = field(default_factory=dict)  # name -> pid, for profilers

    def token(self, user_id: str, role: Role = Role.CUSTOMER) -> str:
        return self.tokens.issue(Principal(user_id, role))


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def died(self) -> str | None:
        if self.process.poll() is None:
            return None
        tail = self.log.read_text(errors="replace")[-3000:]
        return f"{self.name} exited with {self.process.returncode}:\n{tail}"


def environment(settings: Settings, catalog_url: str) -> dict[str, str]:
    """The settings, and where commerce finds catalog, as the `SHOPGRAPH_*` variables a
    child process reads."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SHOPGRAPH_")}
    values = {
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "AMQP_URL": settings.amqp_url,
        "CATALOG_URL": catalog_url,
        "SERVICE_TOKEN": settings.service_token.get_secret_value()
        if settings.service_token
        else None,
        "JWT_PRIVATE_KEY": settings.jwt_private_key.get_secret_value()
        if settings.jwt_private_key
        else None,
    }
    env.update({f"SHOPGRAPH_{key}": value for key, value in values.items() if value is not None})
    env.update({f"SHOPGRAPH_{key}": value for key, value in extra_settings().items()})
    return env


def extra_settings() -> dict[str, str]:
    """`SHOPGRAPH_BENCH_SET_X=v` in the bench's environment becomes `SHOPGRAPH_X=v` in
    every child: how a run tries a setting (pool sizes, concurrency) without an edit."""
    prefix = "SHOPGRAPH_BENCH_SET_"
    return {
        key[len(prefix) :]: value for key, value in os.environ.items() if key.startswith(prefix)
    }


class Children:
    def __init__(self, directory: Path, env: dict[str, str]) -> None:
        self._directory = directory
        self.env = env
        self.started: list[Child] = []

    def start(self, name: str, *arguments: str, env: dict[str, str] | None = None) -> Child:
        log = self._directory / f"{name}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(  # noqa: S603 - our own CLI, arguments built here
                [sys.executable, "-m", "shopgraph", *arguments],
                cwd=ROOT,
                env={**self.env, **(env or {})},
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        child = Child(name, process, log)
        self.started.append(child)
        return child

    def stop(self) -> None:
        for child in reversed(self.started):
            if child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for child in self.started:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()

    def check(self) -> None:
        for child in self.started:
            if (reason := child.died()) is not None:
                raise RuntimeError(reason)


async def wait_ready(session: aiohttp.ClientSession, children: Children, url: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        children.check()
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except (aiohttp.ClientError, TimeoutError):
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} was not ready within {READY_SECONDS:g} s")


def router_env(settings: Settings, urls: dict[str, str]) -> dict[str, str]:
    public_pem = load_key_pair(settings).public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "SHOPGRAPH_ROUTER_SUBGRAPH_URLS": orjson.dumps(urls).decode(),
        "SHOPGRAPH_ROUTER_JWT_PUBLIC_KEY": public_pem.decode(),
    }


@asynccontextmanager
async def open_shop(
    settings: Settings, layout: Layout, first_port: int, directory: Path, relays: int = 1
) -> AsyncIterator[Shop]:
    """The shop in `layout`, on ports from `first_port` up, until the block ends; `relays`
    outbox worker processes (unless SHOPGRAPH_BENCH_SET_OUTBOX_RELAY=in-process) and an
    orders worker (unless SHOPGRAPH_BENCH_SET_ORDER_JOBS=in-process)."""
    ports = {name: first_port + number for number, name in enumerate(("router", *SUBGRAPHS))}
    base = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    if layout == "single":
        catalog_url = f"{base['router']}/subgraphs/catalog/graphql"
    else:
        catalog_url = f"{base['catalog']}/graphql"
    env = environment(settings, catalog_url)
    if layout == "processes":
        # As compose.yaml runs it: `shopgraph worker outbox` publishes every outbox,
        # `shopgraph worker orders` runs commerce's order jobs, and the workers yield
        # the CPU to requests. Social and insights do not run, so no queue keeps
        # their groups' events (about six persistent messages a checkout, unread).
        env = {
            "SHOPGRAPH_OUTBOX_RELAY": "worker",
            "SHOPGRAPH_ORDER_JOBS": "worker",
            "SHOPGRAPH_WORKER_NICENESS": "10",
            "SHOPGRAPH_UNDEPLOYED_GROUPS": orjson.dumps(NOT_RUN_GROUPS).decode(),
            **env,
        }
    children = Children(directory, env)
    timeout = aiohttp.ClientTimeout(total=5)
    async with AsyncExitStack() as stack:
        stack.callback(children.stop)
        session = await stack.enter_async_context(aiohttp.ClientSession(timeout=timeout))
        if layout == "single":
            children.start("dev", "dev", "--port", str(ports["router"]))
        else:
            # Migrated one after the other: two migrations at once race on
            # PostgreSQL's catalog (CREATE SCHEMA, alembic_version).
            migrate = children.start("migrate", "migrate", *SUBGRAPHS)
            await asyncio.to_thread(migrate.process.wait)
            if migrate.process.returncode != 0:
                raise RuntimeError(migrate.died())
            children.started.remove(migrate)
            for name in SUBGRAPHS:
                children.start(name, "serve", name, "--port", str(ports[name]))
            for name in SUBGRAPHS:
                await wait_ready(session, children, f"{base[name]}/readyz")
            urls = {name: f"{base[name]}/graphql" for name in SUBGRAPHS}
            children.start(
                "router",
                "router",
                "--port",
                str(ports["router"]),
                env=router_env(settings, urls),
            )
            children.start("payments", "worker", "payments")
            if children.env["SHOPGRAPH_ORDER_JOBS"] == "worker":
                children.start("orders", "worker", "orders")
            if children.env["SHOPGRAPH_OUTBOX_RELAY"] == "worker":
                for number in range(relays):
                    chosen = [option for name in SUBGRAPHS for option in ("--subgraph", name)]
                    children.start(f"outbox-{number}", "worker", "outbox", *chosen)
        await wait_ready(session, children, f"{base['router']}/readyz")
        commerce = Database(settings, "commerce")
        stack.push_async_callback(commerce.close)
        catalog = Database(settings, "catalog")
        stack.push_async_callback(catalog.close)
        tokens = AccessTokens(load_key_ring(settings), settings)
        pids = {child.name: child.process.pid for child in children.started}
        yield Shop(f"{base['router']}/graphql", tokens, commerce, catalog, pids)
        children.check()
