"""The suite's servers are probed where their URL points, not at their usual port."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from shopgraph.loopback import free_port
from tests.backends import Server


@pytest.fixture
def listening() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def test_an_override_is_probed_at_its_own_host_and_port(
    listening: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = free_port()
    server = Server("redis", "127.0.0.1", closed, "SHOPGRAPH_TEST_PROBE_URL")
    assert not server.reachable()  # nothing at the usual port

    monkeypatch.setenv("SHOPGRAPH_TEST_PROBE_URL", f"redis://127.0.0.1:{listening}/3")
    assert server.reachable()


def test_an_override_to_a_closed_port_is_unreachable_whatever_the_usual_one(
    listening: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Server("redis", "127.0.0.1", listening, "SHOPGRAPH_TEST_PROBE_URL")
    assert server.reachable()

    monkeypatch.setenv("SHOPGRAPH_TEST_PROBE_URL", f"redis://127.0.0.1:{free_port()}/3")
    assert not server.reachable()
