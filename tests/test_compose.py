"""compose.yaml: every subgraph is a service of its own on PostgreSQL, the router waits
for each, and the subgraphs believe X-Forwarded-For from the router and from nothing else.

A subgraph counts its per-client limits (sign-in failures, registrations) by
the request's client address. Behind the router that is the last entry of the
router's X-Forwarded-For, which uvicorn takes only from a peer listed in
FORWARDED_ALLOW_IPS; the router has a fixed address on the compose network
for it. The check runs that setting through uvicorn's own proxy-headers
middleware, as `shopgraph serve` does.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from shopgraph.registry import SUBGRAPHS
from subgraphs.platform.settings import Settings

COMPOSE = Path(__file__).parents[1] / "compose.yaml"
CLIENT = "203.0.113.7"  # what the router writes as the caller's address


def compose() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return config


def router_address(config: dict[str, Any]) -> str:
    address: str = config["services"]["router"]["networks"]["default"]["ipv4_address"]
    return address


async def client_seen(trusted: str, peer: str) -> str:
    """The client address a subgraph sees for a request from `peer` naming CLIENT."""

    async def client(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.client.host if request.client else "")

    app = ProxyHeadersMiddleware(Starlette(routes=[Route("/", client)]), trusted)  # type: ignore[arg-type]  # uvicorn types its own ASGI
    transport = httpx.ASGITransport(app, client=(peer, 50_000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://users") as http:
        response = await http.get("/", headers={"x-forwarded-for": CLIENT})
    return response.text


def test_the_router_has_a_fixed_address_on_the_compose_network() -> None:
    config = compose()
    [network] = config["networks"]["default"]["ipam"]["config"]
    subnet = ipaddress.ip_network(network["subnet"])
    assert ipaddress.ip_address(router_address(config)) in subnet


def test_every_subgraph_believes_forwarded_for_from_the_router_alone() -> None:
    config = compose()
    subgraphs = {
        name: service["environment"]
        for name, service in config["services"].items()
        if (service.get("command") or [""])[0] == "serve"
    }
    router = router_address(config)
    assert {name: env["FORWARDED_ALLOW_IPS"] for name, env in subgraphs.items()} == {
        name: router for name in ("users", "catalog", "commerce", "social", "insights")
    }


async def test_uvicorn_takes_the_client_from_the_router_and_from_no_other_peer() -> None:
    config = compose()
    router = router_address(config)
    trusted = config["services"]["users"]["environment"]["FORWARDED_ALLOW_IPS"]
    network = ipaddress.ip_network(config["networks"]["default"]["ipam"]["config"][0]["subnet"])
    gateway, neighbour = str(network[1]), str(network[20])  # the host's published ports; a worker

    assert await client_seen(trusted, router) == CLIENT
    assert await client_seen(trusted, gateway) == gateway
    assert await client_seen(trusted, neighbour) == neighbour


def _validated() -> dict[str, Any]:
    """compose.yaml as Debian's docker-compose resolves it."""
    docker_compose = shutil.which("docker-compose")
    assert docker_compose is not None, "Debian's docker-compose validates compose.yaml here"
    done = subprocess.run(  # noqa: S603 - a fixed command on our own file
        [docker_compose, "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    return config


def test_every_subgraph_is_served_on_postgresql_before_the_router_starts() -> None:
    services = _validated()["services"]
    for name, entry in SUBGRAPHS.items():
        service = services[name]
        assert service["command"][:2] == ["serve", name]
        assert str(entry.port) in service["command"]
        assert service["environment"]["SHOPGRAPH_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert services["router"]["depends_on"][name] == {"condition": "service_healthy"}


# The PostgreSQL pools each service's process opens (commerce's processes open the
# payment simulator's ledger besides commerce's own database; the outbox worker one
# per subgraph it relays), and the connections it holds outside any pool.
POOLS = {
    "registry": 1,
    "users": 1,
    "catalog": 1,
    "commerce": 2,
    "social": 1,
    "insights": 1,
    "payments-worker": 2,
    "orders-worker": 2,
    "outbox-worker": 4,
    "recommendations-worker": 1,
}
UNPOOLED = {"outbox-worker": 1}  # its LISTEN connection
NO_DATABASE = {"router", "keys", "registry-publish", "analytics-worker"}
# PostgreSQL's default max_connections, less its superuser_reserved_connections.
POSTGRES_CONNECTIONS = 100 - 3


def test_every_pool_full_at_once_fits_postgresql_default_connections() -> None:
    services = compose()["services"]
    shop = {name for name, service in services.items() if service.get("image") == "shopgraph:dev"}
    assert shop - NO_DATABASE == set(POOLS)
    fields = Settings.model_fields
    most = 0
    for name, pools in POOLS.items():
        environment = services[name]["environment"]
        size = int(
            environment.get("SHOPGRAPH_DATABASE_POOL_SIZE", fields["database_pool_size"].default)
        )
        overflow = int(
            environment.get(
                "SHOPGRAPH_DATABASE_MAX_OVERFLOW", fields["database_max_overflow"].default
            )
        )
        most += pools * (size + overflow) + UNPOOLED.get(name, 0)
    assert most <= POSTGRES_CONNECTIONS


def test_the_workers_yield_the_cpu_to_requests() -> None:
    services = compose()["services"]
    workers = {name for name, s in services.items() if s.get("command", [None])[0] == "worker"}
    assert workers >= {"payments-worker", "orders-worker", "outbox-worker"}
    for name, service in services.items():
        if name in workers:
            assert service["cpu_shares"] < 1024, name  # below Docker's default weight
            assert int(service["environment"]["SHOPGRAPH_WORKER_NICENESS"]) > 0, name
        else:
            assert "cpu_shares" not in service, name
