"""Where the real servers of the test suite are, and what to do when one is missing.

A test that needs a server uses it at its usual local address. Locally a missing
server skips the test with the reason; under CI=true it fails the test instead,
so a green CI run always means the real backend was exercised.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

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
        }[self.name]

    def reachable(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1):
                return True
        except OSError:
            return False

    def require(self) -> None:
        """Skip (or, under CI, fail) the calling test when the server is down."""
        if self.reachable():
            return
        reason = f"{self.name} is not reachable at {self.host}:{self.port}"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
        pytest.skip(reason)


POSTGRES = Server("postgres", "127.0.0.1", 5432, "SHOPGRAPH_TEST_POSTGRES_URL")
REDIS = Server("redis", "127.0.0.1", 6379, "SHOPGRAPH_TEST_REDIS_URL")
RABBITMQ = Server("rabbitmq", "127.0.0.1", 5672, "SHOPGRAPH_TEST_RABBITMQ_URL")
