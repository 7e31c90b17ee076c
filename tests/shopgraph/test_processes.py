"""The real programs, started as a user starts them, answering over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from subgraphs.platform.settings import Settings
from tests.shopgraph.test_cli import _env

REGISTER = """mutation { register(input: {username: "proc", email: "proc@example.com",
  password: "long enough"}) { user { username } errors { code } } }"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _running(args: list[str], env: dict[str, str], ready_url: str) -> Iterator[str]:
    process = subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
        [sys.executable, "-m", "shopgraph", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(ready_url, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"{args} did not become ready")
        yield ready_url
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    # uvicorn shuts down cleanly, then re-raises SIGTERM so the exit status tells it.
    assert process.returncode in (0, -15), output
    assert "Application shutdown complete" in output, output
    assert "Traceback" not in output, output


def test_serve_users_migrates_and_answers(settings: Settings) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with _running(["serve", "users", "--port", str(port)], _env(settings), f"{base}/readyz"):
        body = httpx.post(f"{base}/graphql", json={"query": REGISTER}, timeout=10).json()
    assert body == {"data": {"register": {"user": {"username": "proc"}, "errors": []}}}


def test_dev_serves_every_subgraph_on_one_port(settings: Settings) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    ready = f"{base}/subgraphs/users/readyz"
    with _running(
        ["dev", "--port", str(port), "--data-dir", str(settings.data_dir)], _env(settings), ready
    ):
        body = httpx.post(
            f"{base}/subgraphs/users/graphql", json={"query": REGISTER}, timeout=10
        ).json()
    assert body == {"data": {"register": {"user": {"username": "proc"}, "errors": []}}}
