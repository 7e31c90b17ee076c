"""Supergraphs for test cases, composed by our composer or by The Guild's.

`ours` is `router.composition.compose` when that package imports, else The
Guild's. `guild` is always `@theguild/federation-composition` (MIT, npm),
pinned in `node/package.json` and run by one long-lived Node process per
test session. Its package comes from `SHOPGRAPH_GUILD_COMPOSITION_DIR`, a
matching install already on the machine, or `npm ci` into the user cache.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

Composer = Literal["ours", "guild"]
COMPOSERS: tuple[Composer, ...] = ("ours", "guild")

NODE_DIR = Path(__file__).parent / "node"
PACKAGE = "@theguild/federation-composition"
# Directories tried before installing; /tmp/fedcomp is where the dev machines keep Node tools.
KNOWN_INSTALLS = (Path("/tmp/fedcomp"),)  # noqa: S108 - only read, never written


@dataclass(frozen=True)
class SubgraphSource:
    name: str
    url: str
    sdl: str


class CompositionFailed(AssertionError):
    """The composer refused the subgraphs: a broken test case."""


class ComposerUnavailable(RuntimeError):
    """The Guild's composer cannot run here (no Node, no npm, no package)."""


def compose_supergraph(subgraphs: Sequence[SubgraphSource], composer: Composer) -> str:
    if composer == "ours":
        try:
            module = importlib.import_module("router.composition")
        except ModuleNotFoundError:
            module = None
        if module is not None and hasattr(module, "compose"):
            return _compose_with_router(module, subgraphs)
    return _guild().compose(subgraphs)


def _compose_with_router(module: Any, subgraphs: Sequence[SubgraphSource]) -> str:
    result = module.compose([module.SubgraphSource(s.name, s.url, s.sdl) for s in subgraphs])
    if result.errors:
        raise CompositionFailed("\n".join(str(error) for error in result.errors))
    sdl: str = result.supergraph_sdl
    return sdl


class GuildComposer:
    """A Node process running `node/compose.cjs`, one JSON line per composition."""

    def __init__(self, package_dir: Path) -> None:
        node = shutil.which("node")
        if node is None:
            raise ComposerUnavailable("Node.js is not installed")
        self._lock = threading.Lock()
        self._process = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
            [node, str(NODE_DIR / "compose.cjs"), str(package_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        atexit.register(self.close)

    def compose(self, subgraphs: Sequence[SubgraphSource]) -> str:
        request = json.dumps([{"name": s.name, "url": s.url, "sdl": s.sdl} for s in subgraphs])
        with self._lock:
            stdin, stdout = self._pipes()
            stdin.write(request + "\n")
            stdin.flush()
            line = stdout.readline()
        if not line:
            raise ComposerUnavailable("the Node composer process exited")
        reply = json.loads(line)
        if "errors" in reply:
            raise CompositionFailed(
                "\n".join(f"[{e['code']}] {e['message']}" for e in reply["errors"])
            )
        supergraph: str = reply["supergraph"]
        return supergraph

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None or self._process.poll() is not None:
            raise ComposerUnavailable("the Node composer process is not running")
        return stdin, stdout

    def close(self) -> None:
        if self._process.poll() is None and self._process.stdin is not None:
            self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()


_composer: GuildComposer | None = None
_composer_lock = threading.Lock()


def _guild() -> GuildComposer:
    global _composer
    with _composer_lock:
        if _composer is None:
            _composer = GuildComposer(guild_package_dir())
        return _composer


def pinned_version() -> str:
    manifest = json.loads((NODE_DIR / "package.json").read_text())
    version: str = manifest["dependencies"][PACKAGE]
    return version


def guild_package_dir() -> Path:
    """A directory whose node_modules has the pinned composer, installing it if need be."""
    version = pinned_version()
    configured = os.environ.get("SHOPGRAPH_GUILD_COMPOSITION_DIR")
    if configured:
        if _installed_version(Path(configured)) != version:
            raise ComposerUnavailable(f"{configured} has no {PACKAGE}@{version}")
        return Path(configured)
    cache = _cache_dir(version)
    for candidate in (cache, *KNOWN_INSTALLS):
        if _installed_version(candidate) == version:
            return candidate
    return _install(cache)


def _cache_dir(version: str) -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "shopgraph" / f"federation-composition-{version}"


def _installed_version(directory: Path) -> str | None:
    manifest = directory / "node_modules" / PACKAGE / "package.json"
    if not manifest.is_file():
        return None
    version: str = json.loads(manifest.read_text())["version"]
    return version


def _install(directory: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise ComposerUnavailable(f"npm is not installed, so {PACKAGE} cannot be installed")
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(NODE_DIR / name, directory / name)
    completed = subprocess.run(  # noqa: S603 - a fixed npm command line, no user input
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise ComposerUnavailable(f"npm ci failed:\n{completed.stderr}")
    return directory
