"""The gateways compared, and starting, asking and stopping one of them.

shopgraph's router runs as `shopgraph router` with `router.yaml` beside this
file. Hive Gateway and Apollo Gateway (on Apollo Server) come from npm,
pinned by `node/package.json` and its lock, installed with `npm ci` into a
temporary folder, then kept in a cache folder named by the lock for later
runs. Every gateway serves the same supergraph, composed by our composer.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
NODE_DIR = HERE / "node"
ROUTER_CONFIG = HERE / "router.yaml"
READY_SECONDS = 60.0
STOP_SECONDS = 15.0


class GatewayFailed(RuntimeError):
    """A gateway would not install, start or answer."""


@dataclass(frozen=True)
class Gateway:
    family: str  # "shopgraph", "hive" or "apollo": ratios compare within a process count
    label: str
    processes: int
    command: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    path: str = "/graphql"


def npm_versions() -> dict[str, str]:
    manifest = json.loads((NODE_DIR / "package.json").read_text())
    versions: dict[str, str] = manifest["dependencies"]
    return versions


def node_cache_dir() -> Path:
    """Where the pinned install is kept between runs, named by the lock: a new lock reinstalls."""
    lock_hash = hashlib.sha256((NODE_DIR / "package-lock.json").read_bytes()).hexdigest()
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "shopgraph" / f"bench-gateways-{lock_hash[:16]}"


def node_gateways_installed(directory: Path) -> bool:
    lock = directory / "package-lock.json"
    return (
        (directory / "node_modules" / ".package-lock.json").is_file()
        and lock.is_file()
        and lock.read_bytes() == (NODE_DIR / "package-lock.json").read_bytes()
    )


def install_node_gateways(directory: Path) -> None:
    """`npm ci` of the pinned gateways in a temporary folder, then moved to `directory`.

    An interrupted install leaves nothing half-made at `directory`.
    """
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise GatewayFailed("Node.js and npm are needed for Hive Gateway and Apollo Gateway")
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{directory.name}.", dir=directory.parent))
    try:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(NODE_DIR / name, staging / name)
        completed = subprocess.run(  # noqa: S603 - fixed npm command line
            # --prefer-offline: packages in npm's cache are taken without asking the registry.
            [npm, "ci", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=staging,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )
        if completed.returncode != 0:
            raise GatewayFailed(f"npm ci failed:\n{completed.stderr[-3000:]}")
        copy_launch_files(staging)
        if directory.exists():  # an install of another lock, or a broken one
            shutil.rmtree(directory)
        staging.rename(directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def copy_launch_files(directory: Path) -> None:
    """Apollo's start script and Hive's config: beside node_modules, so imports resolve."""
    for name in ("apollo-gateway.mjs", "hive-gateway.config.mjs"):
        shutil.copyfile(NODE_DIR / name, directory / name)


def shopgraph(supergraph: Path, port: int, workers: int) -> Gateway:
    binary = Path(sys.executable).with_name("shopgraph")
    command = [str(binary), "router", "--supergraph", str(supergraph), "--port", str(port)]
    command += ["--config", str(ROUTER_CONFIG), "--workers", str(workers)]
    label = "shopgraph router" + (f" --workers {workers}" if workers > 1 else "")
    return Gateway("shopgraph", label, workers, command, HERE)


def hive(node_dir: Path, supergraph: Path, port: int, forks: int, deduplicate: bool) -> Gateway:
    command = [
        str(node_dir / "node_modules" / ".bin" / "hive-gateway"),
        "supergraph",
        str(supergraph),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--fork",
        str(forks),
        "--jit",
        "--config-path",
        str(node_dir / "hive-gateway.config.mjs"),
    ]
    version = npm_versions()["@graphql-hive/gateway"]
    label = f"Hive Gateway {version}" + (f" --fork {forks}" if forks > 1 else "")
    label += " dedup" if deduplicate else " no dedup"
    env = {"NODE_ENV": "production", "BENCH_HIVE_DEDUPLICATION": "on" if deduplicate else "off"}
    return Gateway("hive", label, forks, command, node_dir, env)


def apollo(node_dir: Path, supergraph: Path, port: int) -> Gateway:
    node = shutil.which("node") or "node"
    command = [node, str(node_dir / "apollo-gateway.mjs"), str(supergraph), str(port)]
    versions = npm_versions()
    label = f"Apollo Gateway {versions['@apollo/gateway']}"
    return Gateway("apollo", label, 1, command, node_dir, {"NODE_ENV": "production"}, "/")


def post(url: str, body: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 - loopback URL built by the bench
        url, data=body, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
        return response.status, response.read()


@contextmanager
def running(gateway: Gateway, url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The gateway's process, started in its own session, ready to answer; stopped after."""
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - command lines built in this module
            gateway.command,
            cwd=gateway.cwd,
            env=os.environ | gateway.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(process, url, gateway.label, log)
        yield process
    finally:
        _stop(process)


def _wait_ready(process: subprocess.Popen[bytes], url: str, label: str, log: Path) -> None:
    probe = json.dumps({"query": "{ __typename }"}).encode()
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise GatewayFailed(f"{label} exited with {process.returncode}; see {log}")
        try:
            status, _ = post(url, probe, timeout=2)
        except OSError:
            status = 0
        if status == 200:
            return
        time.sleep(0.2)
    raise GatewayFailed(f"{label} did not answer at {url} in {READY_SECONDS:.0f} s; see {log}")


def _stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM to the gateway's whole session (workers too), SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with suppress(ProcessLookupError):  # workers of a supervisor that exited first
        os.killpg(process.pid, signal.SIGKILL)
