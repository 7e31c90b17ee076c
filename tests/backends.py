"""Where the real servers of the test suite are, and what to do when one is missing.

A test that needs a server uses it at its usual local address. Locally a missing
server skips the test with the reason; under CI=true it fails the test instead,
so a green CI run always means the real backend was exercised.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass(frozen=True)
class Server:
    name: str
    host: str
    port: int
    env_var: str

    @property
    def url(self) -> str:
        return os.environ.get(self.env_var, self.default_url)

    @property
    def default_url(self) -> str:
        return {
            "postgres": f"postgresql+asyncpg://postgres@{self.host}:{self.port}/postgres",
            "redis": f"redis://{self.host}:{self.port}/15",
            "rabbitmq": f"amqp://guest:guest@{self.host}:{self.port}/",
            "clickhouse": f"clickhouse://{self.host}:{self.port}/default",
        }[self.name]

    def reachable(self) -> bool:
        # An override may point at another instance (e.g. a helper's own ClickHouse port).
        address = urlsplit(self.url)
        host, port = address.hostname or self.host, address.port or self.port
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            return False

    def require(self) -> None:
        """Skip (or, under CI, fail) the calling test when the server is down."""
        if self.reachable():
            return
        missing(f"{self.name} is not reachable at {self.url}")


def missing(reason: str) -> None:
    """Skip the calling test for `reason`, or fail it under CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
    pytest.skip(reason)


POSTGRES = Server("postgres", "127.0.0.1", 5432, "SHOPGRAPH_TEST_POSTGRES_URL")
REDIS = Server("redis", "127.0.0.1", 6379, "SHOPGRAPH_TEST_REDIS_URL")
RABBITMQ = Server("rabbitmq", "127.0.0.1", 5672, "SHOPGRAPH_TEST_RABBITMQ_URL")
CLICKHOUSE = Server("clickhouse", "127.0.0.1", 9000, "SHOPGRAPH_TEST_CLICKHOUSE_URL")
