"""Corpus cases on `@graphql-hive/gateway`, a Federation gateway to check the corpus against.

    python -m tests.router.harness.hive [test_entities ...]

runs the cases of the named corpus modules (all by default) on supergraphs
composed by The Guild, served by Hive Gateway, and reports every answer that
differs from the case's expected response, with the fetches Hive made beside
the case's budget (Hive plans its own way, so only the data must agree).
Needs `hive-gateway` in `SHOPGRAPH_HIVE_GATEWAY_DIR` or a known Node install.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import pkgutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.router.harness.case import RouterCase, assert_response, compose
from tests.router.harness.composition import KNOWN_INSTALLS, Composer
from tests.router.harness.server import _closed_port, serve_subgraphs

READY_TIMEOUT = 30.0


@dataclass(frozen=True)
class HiveOutcome:
    case: RouterCase
    response: Any
    fetches: dict[str, int]
    representations: dict[str, int]
    sequence: list[str]
    problem: str | None


def hive_binary() -> Path:
    configured = os.environ.get("SHOPGRAPH_HIVE_GATEWAY_DIR")
    for directory in [Path(configured)] if configured else list(KNOWN_INSTALLS):
        binary = directory / "node_modules" / ".bin" / "hive-gateway"
        if binary.exists():
            return binary
    raise FileNotFoundError("no hive-gateway: set SHOPGRAPH_HIVE_GATEWAY_DIR")


async def run_on_hive(case: RouterCase, composer: Composer = "guild") -> HiveOutcome:
    async with serve_subgraphs(case.subgraphs) as served:
        supergraph = await compose(case, served, composer)
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "supergraph.graphql"
            path.write_text(supergraph)
            response = await _ask_hive(path, case)
            if "hive-gateway failed" in response:  # a start-up race for the port: once more
                response = await _ask_hive(path, case)
        fetches = served.fetch_counts()
        representations = served.representation_counts()
        sequence = served.sequence()
    try:
        assert_response(_single_quoted(response), case.expected_response)
        problem = None
    except AssertionError as error:
        problem = str(error)
    return HiveOutcome(case, response, fetches, representations, sequence, problem)


def _single_quoted(response: Any) -> Any:
    """graphql-js quotes names in messages with double quotes, graphql-core with single ones."""
    if isinstance(response, dict) and isinstance(response.get("errors"), list):
        errors = [
            {**e, "message": e["message"].replace('"', "'")} if "message" in e else e
            for e in response["errors"]
        ]
        return {**response, "errors": errors}
    return response


async def _ask_hive(supergraph: Path, case: RouterCase) -> Any:
    port = _closed_port()
    log = supergraph.with_suffix(".log")
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            str(hive_binary()),
            *("supergraph", str(supergraph), "--host", "127.0.0.1", "--port", str(port)),
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            await _wait_ready(session, f"{base}/readiness", process)
            payload: dict[str, Any] = {"query": case.query}
            if case.variables is not None:
                payload["variables"] = dict(case.variables)
            if case.operation_name is not None:
                payload["operationName"] = case.operation_name
            headers = {"accept": "application/json", **dict(case.headers or {})}
            async with session.post(f"{base}/graphql", json=payload, headers=headers) as answer:
                return await answer.json(content_type=None)
    except TimeoutError as error:
        return {"hive-gateway failed": str(error), "log": log.read_text()[-2000:]}
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def _wait_ready(
    session: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process
) -> None:
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
    while process.returncode is None:
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"hive-gateway not ready at {url}")
        await asyncio.sleep(0.1)
    raise TimeoutError(f"hive-gateway exited with status {process.returncode}")


def corpus_cases(module_names: Sequence[str]) -> list[RouterCase]:
    package = importlib.import_module("tests.router.corpus")
    names = module_names or sorted(
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith("test_")
    )
    cases: list[RouterCase] = []
    for name in names:
        cases += importlib.import_module(f"tests.router.corpus.{name}").CASES
    return cases


async def check_corpus(module_names: Sequence[str], concurrency: int = 6) -> int:
    limit = asyncio.Semaphore(concurrency)

    async def one(case: RouterCase) -> HiveOutcome:
        async with limit:
            return await run_on_hive(case)

    outcomes = await asyncio.gather(*(one(case) for case in corpus_cases(module_names)))
    failures = 0
    for outcome in outcomes:
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
            failures += 1
            print(f"     {outcome.problem}\n     hive: {outcome.response}")
    print(f"{len(outcomes) - failures} of {len(outcomes)} cases answered as expected")
    return failures


if __name__ == "__main__":
    sys.exit(1 if asyncio.run(check_corpus(sys.argv[1:])) else 0)
