"""The real programs, started as a user starts them, answering over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from typer.testing import CliRunner

from shopgraph.cli import app
from subgraphs.platform.settings import Settings
from tests.servers import free_port
from tests.shopgraph.test_cli import _env

runner = CliRunner()

REGISTER = """mutation { register(input: {username: "proc", email: "proc@example.com",
  password: "long enough"}) { user { username } errors { code } } }"""


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
        deadline = time.monotonic() + 90
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
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with _running(["serve", "users", "--port", str(port)], _env(settings), f"{base}/readyz"):
        body = httpx.post(f"{base}/graphql", json={"query": REGISTER}, timeout=10).json()
    assert body == {"data": {"register": {"user": {"username": "proc"}, "errors": []}}}


def test_dev_serves_the_supergraph_at_graphql(settings: Settings) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["dev", "--port", str(port), "--data-dir", str(settings.data_dir)]
    with _running(args, _env(settings), f"{base}/readyz"):
        body = httpx.post(f"{base}/graphql", json={"query": REGISTER}, timeout=10).json()
    assert body == {"data": {"register": {"user": {"username": "proc"}, "errors": []}}}


def test_router_serves_a_composed_supergraph_of_separate_processes(
    settings: Settings, tmp_path: Path
) -> None:
    users_port, router_port = free_port(), free_port()
    users = f"http://127.0.0.1:{users_port}"
    supergraph = tmp_path / "supergraph.graphql"
    env = _env(settings)
    composed = runner.invoke(
        app, ["schema", "compose", "--out", str(supergraph), "--url", f"users={users}/graphql"]
    )
    assert composed.exit_code == 0, composed.output
    router = f"http://127.0.0.1:{router_port}"
    with (
        _running(["serve", "users", "--port", str(users_port)], env, f"{users}/readyz"),
        _running(
            ["router", "--supergraph", str(supergraph), "--port", str(router_port)],
            env,
            f"{router}/readyz",
        ),
    ):
        body = httpx.post(f"{router}/graphql", json={"query": REGISTER}, timeout=10).json()
    assert body == {"data": {"register": {"user": {"username": "proc"}, "errors": []}}}
