"""compose.yaml, as Debian's docker-compose reads it: every subgraph is a service of its
own on PostgreSQL, and the router waits for each to be ready."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from shopgraph.registry import SUBGRAPHS

COMPOSE = Path(__file__).parents[1] / "compose.yaml"


def _config() -> dict[str, Any]:
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
    services = _config()["services"]
    for name, entry in SUBGRAPHS.items():
        service = services[name]
        assert service["command"][:2] == ["serve", name]
        assert str(entry.port) in service["command"]
        assert service["environment"]["SHOPGRAPH_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert services["router"]["depends_on"][name] == {"condition": "service_healthy"}
