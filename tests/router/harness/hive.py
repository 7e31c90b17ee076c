"""Hive Gateway (`@graphql-hive/gateway`, npm) for the router corpus: install, run, ask.

The gateway is pinned by `tests/router/interop/hive/package.json` and its lock,
and installed with `npm ci` into `~/.cache/shopgraph/hive-gateway-<lock hash>`
(or taken from `SHOPGRAPH_HIVE_GATEWAY_DIR`). `run_hive` serves one supergraph
with one gateway process, so many cases can share a start-up (about 2 s).

    python -m tests.router.harness.hive [--composer ours|guild] [test_entities ...]

runs the cases of the named corpus modules (all by default) on Hive Gateway
and reports every answer that differs from the case's expected response,
with the fetches Hive made beside the case's budget (Hive plans its own way,
so only the data must agree). `tests/router/interop/test_hive_gateway.py`
is the test; this is the tool for looking at what Hive does.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib
import json
import os
import pkgutil
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aiohttp

from tests.router.harness.case import RouterCase, assert_response, compose
from tests.router.harness.composition import Composer
from tests.router.harness.npm import NpmFailed, NpmMissing, npm_ci
from tests.router.harness.server import ServedSubgraphs, _closed_port, serve_subgraphs

PACKAGE = "@graphql-hive/gateway"
PACKAGE_DIR = Path(__file__).parents[1] / "interop" / "hive"
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)
HOST = "127.0.0.1"


class HiveUnavailable(RuntimeError):
    """Node.js or npm is missing, so Hive Gateway cannot run here."""


class HiveFailed(RuntimeError):
    """Hive Gateway would not install or start."""


def pinned_version() -> str:
    manifest = json.loads((PACKAGE_DIR / "package.json").read_text())
    version: str = manifest["dependencies"][PACKAGE]
    return version


def cache_dir() -> Path:
    """Where the pinned install lives: named by the lock's hash, so a new lock reinstalls."""
    lock_hash = hashlib.sha256((PACKAGE_DIR / "package-lock.json").read_bytes()).hexdigest()
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "shopgraph" / f"hive-gateway-{lock_hash[:16]}"


def hive_binary() -> Path:
    """The pinned `hive-gateway`, installing it on first use (about 20 s)."""
    if shutil.which("node") is None:
        raise HiveUnavailable("Node.js is not installed, so Hive Gateway cannot run")
    configured = os.environ.get("SHOPGRAPH_HIVE_GATEWAY_DIR")
    directory = Path(configured) if configured else cache_dir()
    if not _installed(directory):
        if configured:
            raise HiveFailed(f"{configured} has no {PACKAGE}@{pinned_version()}")
        _install(directory)
    return directory / "node_modules" / ".bin" / "hive-gateway"


def _installed(directory: Path) -> bool:
    manifest = directory / "node_modules" / PACKAGE / "package.json"
    if (
        not manifest.is_file()
        or not (directory / "node_modules" / ".bin" / "hive-gateway").exists()
    ):
        return False
    version: str = json.loads(manifest.read_text())["version"]
    return version == pinned_version()


def _install(directory: Path) -> None:
    try:
        npm_ci(PACKAGE_DIR, directory, _installed)
    except NpmMissing as error:
        raise HiveUnavailable(f"npm is not installed, so {PACKAGE} cannot be installed") from error
    except NpmFailed as error:
        raise HiveFailed(str(error)) from error


@dataclass(frozen=True)
class HiveAnswer:
    status: int
    body: Any


class HiveGateway:
    """A running `hive-gateway supergraph FILE`, answering operations over HTTP."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self._session = session

    async def execute(self, case: RouterCase) -> HiveAnswer:
        payload: dict[str, Any] = {"query": case.query}
        if case.variables is not None:
            payload["variables"] = dict(case.variables)
        if case.operation_name is not None:
            payload["operationName"] = case.operation_name
        headers = {"accept": "application/json", **dict(case.headers or {})}
        async with self._session.post(self.url, json=payload, headers=headers) as response:
            return HiveAnswer(response.status, await response.json(content_type=None))


@asynccontextmanager
async def run_hive(supergraph: Path) -> AsyncIterator[HiveGateway]:
    """Hive Gateway serving `supergraph`, once it reports ready; stopped on exit."""
    binary = await asyncio.to_thread(hive_binary)
    failure = ""
    for _attempt in range(2):  # a second try covers losing the free port to someone else
        port = _closed_port()
        log = supergraph.with_name(f"{supergraph.stem}-hive-{port}.log")
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                str(binary),
                *("supergraph", str(supergraph), "--host", HOST, "--port", str(port)),
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
            )
        try:
            async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
                base = f"http://{HOST}:{port}"
                if await _ready(session, f"{base}/readiness", process):
                    yield HiveGateway(f"{base}/graphql", session)
                    return
                failure = log.read_text(errors="replace")[-3000:]
        finally:
            await _stop(process)
    raise HiveFailed(f"hive-gateway did not become ready on {supergraph}:\n{failure}")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()


async def _ready(
    session: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process
) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT
    while process.returncode is None and loop.time() < deadline:
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return True
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.1)
    return False


def group_by_subgraphs(cases: Sequence[RouterCase]) -> list[list[RouterCase]]:
    """Cases that serve the very same subgraph specs, in corpus order: one gateway each."""
    groups: dict[tuple[int, ...], list[RouterCase]] = {}
    for case in cases:
        groups.setdefault(tuple(id(spec) for spec in case.subgraphs), []).append(case)
    return list(groups.values())


@asynccontextmanager
async def hive_for(
    cases: Sequence[RouterCase], composer: Composer, directory: Path
) -> AsyncIterator[tuple[HiveGateway, ServedSubgraphs]]:
    """The cases' subgraphs served in-process, composed by `composer`, behind Hive."""
    async with serve_subgraphs(cases[0].subgraphs) as served:
        supergraph = directory / f"{cases[0].id}.graphql"
        supergraph.write_text(await compose(cases[0], served, composer))
        async with run_hive(supergraph) as hive:
            yield hive, served


@dataclass(frozen=True)
class HiveOutcome:
    case: RouterCase
    response: Any
    fetches: dict[str, int]
    representations: dict[str, int]
    sequence: list[str]
    problem: str | None


async def check_group(
    cases: Sequence[RouterCase], composer: Composer, directory: Path
) -> list[HiveOutcome]:
    outcomes: list[HiveOutcome] = []
    async with hive_for(cases, composer, directory) as (hive, served):
        for case in cases:  # one at a time, so the fetch counts are this case's own
            served.clear()
            answer = await hive.execute(case)
            try:
                assert_response(single_quoted(answer.body), case.expected_response)
                problem = None
            except AssertionError as error:
                problem = str(error)
            outcomes.append(
                HiveOutcome(
                    case,
                    answer.body,
                    served.fetch_counts(),
                    served.representation_counts(),
                    served.sequence(),
                    problem,
                )
            )
    return outcomes


def single_quoted(response: Any) -> Any:
    """graphql-js quotes names in messages with double quotes, graphql-core with single ones."""
    if isinstance(response, Mapping) and isinstance(response.get("errors"), list):
        errors = [
            {**e, "message": e["message"].replace('"', "'")} if "message" in e else e
            for e in response["errors"]
        ]
        return {**response, "errors": errors}
    return response


def corpus_cases(module_names: Sequence[str] = ()) -> list[RouterCase]:
    """The corpus, or the named modules of it (`test_entities`, ...)."""
    package = importlib.import_module("tests.router.corpus")
    names = module_names or sorted(
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith("test_")
    )
    cases: list[RouterCase] = []
    for name in names:
        cases += cast(
            list[RouterCase], importlib.import_module(f"tests.router.corpus.{name}").CASES
        )
    return cases


async def check_corpus(
    module_names: Sequence[str], composer: Composer, concurrency: int = 3
) -> int:
    limit = asyncio.Semaphore(concurrency)

    async def one(group: list[RouterCase], directory: Path) -> list[HiveOutcome]:
        async with limit:
            return await check_group(group, composer, directory)

    with tempfile.TemporaryDirectory() as directory:
        groups = group_by_subgraphs(corpus_cases(module_names))
        results = await asyncio.gather(*(one(group, Path(directory)) for group in groups))
    outcomes = [outcome for result in results for outcome in result]
    for outcome in outcomes:
        _report(outcome)
    failures = sum(outcome.problem is not None for outcome in outcomes)
    print(f"{len(outcomes) - failures} of {len(outcomes)} cases answered as expected")
    return failures


def _report(outcome: HiveOutcome) -> None:
    budget = {k: v for k, v in (outcome.case.expected_fetches or {}).items() if v}
    used = {k: v for k, v in outcome.fetches.items() if v}
    mark = "ok  " if outcome.problem is None else "FAIL"
    note = "" if budget == used else f"  fetches hive {used} budget {budget}"
    wanted = dict(outcome.case.expected_representations or {})
    seen = {name: outcome.representations[name] for name in wanted}
    if seen != wanted:
        note += f"  representations hive {seen} budget {wanted}"
    order = outcome.case.expected_sequence
    if order is not None and list(order) != outcome.sequence:
        note += f"  sequence hive {outcome.sequence} budget {list(order)}"
    print(f"{mark} {outcome.case.id}{note}")
    if outcome.problem is not None:
        print(f"     {outcome.problem}\n     hive: {outcome.response}")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.router.harness.hive")
    parser.add_argument("--composer", choices=("ours", "guild"), default="ours")
    parser.add_argument("modules", nargs="*", help="corpus modules, e.g. test_entities")
    arguments = parser.parse_args(argv)
    composer = cast(Composer, arguments.composer)
    return 1 if asyncio.run(check_corpus(arguments.modules, composer)) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
