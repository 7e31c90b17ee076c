"""A router specification case and the runner that checks the router against it.

The runner serves the case's subgraphs over HTTP, composes a supergraph from
their SDLs and URLs, loads it, runs the query through the router's `Gateway`
and asserts the whole response, the printed plan (when the case has one),
the fetches each subgraph received and, for mutations, the order they came.

Responses compare exactly, field order included. Errors compare as a set:
each expected error must match one actual error on every key it gives
(`extensions` on the keys it gives), so a case leaves out what a router may
word differently (messages of transport failures, locations).
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent
from typing import Any

import orjson
import pytest
from graphql import parse, validate

from router.supergraph import load_supergraph
from tests.backends import IN_CI
from tests.router.harness.composition import (
    Composer,
    ComposerUnavailable,
    SubgraphSource,
    compose_supergraph,
)
from tests.router.harness.server import ServedSubgraphs, serve_subgraphs
from tests.router.harness.subgraph import Subgraph, SubgraphSpec


@dataclass(frozen=True, kw_only=True)
class RouterCase:
    id: str
    subgraphs: Sequence[SubgraphSpec]
    query: str
    expected_response: Mapping[str, Any]
    variables: Mapping[str, Any] | None = None
    operation_name: str | None = None
    headers: Mapping[str, str] | None = None
    expected_plan: str | None = None
    # Requests each subgraph must receive; subgraphs left out must receive none.
    expected_fetches: Mapping[str, int] | None = None
    # Entity representations each subgraph must receive in all (deduplication).
    expected_representations: Mapping[str, int] | None = None
    # Subgraph names in the order requests must arrive (mutations run in document order).
    expected_sequence: Sequence[str] | None = None
    # HTTP status of the router's answer; None: not asserted.
    expected_status: int | None = 200

    def __post_init__(self) -> None:
        names = {spec.name for spec in self.subgraphs}
        for budget in (self.expected_fetches, self.expected_representations):
            unknown = set(budget or {}) - names
            if unknown:
                raise ValueError(f"{self.id}: budgets name unknown subgraphs {sorted(unknown)}")
        unknown = set(self.expected_sequence or ()) - names
        if unknown:
            raise ValueError(f"{self.id}: the sequence names unknown subgraphs {sorted(unknown)}")


def router_modules() -> tuple[Any, Any, Any]:
    """(router.gateway, router.planning.planner, router.planning.printer).

    Imported, never skipped: a router that fails to import must fail the corpus.
    """
    return (
        importlib.import_module("router.gateway"),
        importlib.import_module("router.planning.planner"),
        importlib.import_module("router.planning.printer"),
    )


async def run_case(case: RouterCase, composer: Composer = "ours") -> None:
    gateway_module, planner, printer = router_modules()
    async with serve_subgraphs(case.subgraphs) as served:
        supergraph = load_supergraph(await compose(case, served, composer))
        assert_plan(case, supergraph, planner, printer)
        status, body = await _execute(gateway_module, supergraph, case, served)
        assert_response(body, case.expected_response)
        if case.expected_status is not None:
            assert status == case.expected_status, f"HTTP status {status}: {body}"
        if case.expected_fetches is not None:
            expected = {name: case.expected_fetches.get(name, 0) for name in served}
            assert served.fetch_counts() == expected, _fetch_report(served)
        if case.expected_representations is not None:
            counts = served.representation_counts()
            actual = {name: counts[name] for name in case.expected_representations}
            assert actual == dict(case.expected_representations), _fetch_report(served)
        if case.expected_sequence is not None:
            assert served.sequence() == list(case.expected_sequence), _fetch_report(served)


# Every case's printed plan is kept next to the corpus, one file per case id, and
# must be the same whichever composer made the supergraph. Record new or
# changed plans with SHOPGRAPH_RECORD_PLANS=1 and review the diff.
PLANS = Path(__file__).parents[1] / "corpus" / "plans"
RECORD = os.environ.get("SHOPGRAPH_RECORD_PLANS") == "1"


def assert_plan(case: RouterCase, supergraph: Any, planner: Any, printer: Any) -> None:
    text = _printed_plan(case, supergraph, planner, printer)
    if case.expected_plan is not None:
        assert text == dedent(case.expected_plan).strip()
        return
    snapshot = PLANS / f"{case.id}.plan"
    if RECORD and (not snapshot.exists() or snapshot.read_text() != text + "\n"):
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(text + "\n")
    assert snapshot.exists(), f"no plan recorded for {case.id}: run with SHOPGRAPH_RECORD_PLANS=1"
    assert text + "\n" == snapshot.read_text(), f"the plan of {case.id} changed"


def _printed_plan(case: RouterCase, supergraph: Any, planner: Any, printer: Any) -> str:
    document = parse(case.query)
    if validate(supergraph.api_schema, document):
        return "(refused before planning: the operation is invalid)"
    labels = frozenset(label for label in supergraph.override_labels if _percent(label) >= 100)
    try:
        plan = planner.plan_operation(supergraph, document, case.operation_name, labels)
    except planner.PlanningError as error:
        return f"(refused at planning: {error})"
    problems = invalid_fetches(plan, case.subgraphs)
    assert not problems, "fetches invalid in their own subgraph:\n" + "\n".join(problems)
    text: str = printer.print_plan(plan)
    return text


def invalid_fetches(plan: Any, specs: Sequence[SubgraphSpec]) -> list[str]:
    """Every fetch of `plan` that its own subgraph's schema would refuse, with why.

    Every fetch is checked, also those a condition or an empty list would skip.
    """
    schemas = {spec.name: Subgraph(spec).schema for spec in specs}
    problems: list[str] = []
    for fetch in plan.fetches():
        errors = validate(schemas[fetch.service], parse(fetch.operation))
        problems += [f"{fetch.service}: {fetch.operation}\n  {e.message}" for e in errors]
    return problems


def _percent(label: str) -> float:
    """percent(N) labels of the corpus are 0 or 100, so plans are deterministic."""
    if label.startswith("percent(") and label.endswith(")"):
        return float(label[len("percent(") : -1])
    return 0.0


async def plan_text(case: RouterCase, composer: Composer = "ours") -> str:
    """The printed plan of a case, for recording `expected_plan` snapshots."""
    _, planner, printer = router_modules()
    async with serve_subgraphs(case.subgraphs) as served:
        supergraph = load_supergraph(await compose(case, served, composer))
    text: str = printer.print_plan(
        planner.plan_operation(supergraph, parse(case.query), case.operation_name)
    )
    return text


async def compose(case: RouterCase, served: ServedSubgraphs, composer: Composer) -> str:
    sources = [SubgraphSource(spec.name, served[spec.name], spec.sdl) for spec in case.subgraphs]
    try:
        return await asyncio.to_thread(compose_supergraph, sources, composer)
    except ComposerUnavailable as error:
        if IN_CI:
            pytest.fail(f"The Guild's composer must run under CI: {error}")
        pytest.skip(f"The Guild's composer cannot run here: {error}")


async def _execute(
    gateway_module: Any, supergraph: Any, case: RouterCase, served: ServedSubgraphs
) -> tuple[int, Any]:
    from router.config import RouterConfig

    request_type = _request_type(gateway_module)
    gateway = gateway_module.Gateway(supergraph, RouterConfig())
    await gateway.start()
    try:
        served.clear()  # count only what this operation causes, not start-up traffic
        response = await gateway.execute(
            request_type(
                query=case.query,
                variables=dict(case.variables) if case.variables is not None else None,
                operation_name=case.operation_name,
            ),
            headers=dict(case.headers or {}),
        )
    finally:
        await gateway.close()
    body = response.body
    if isinstance(body, (bytes, bytearray, str)):
        body = orjson.loads(body)
    return int(response.status_code), body


def _request_type(gateway_module: Any) -> Any:
    if hasattr(gateway_module, "GraphQLRequest"):
        return gateway_module.GraphQLRequest
    for name in ("router.execution", "router.http", "router.operation"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        if hasattr(module, "GraphQLRequest"):
            return module.GraphQLRequest
    raise AssertionError("no GraphQLRequest next to router.gateway.Gateway")


def _fetch_report(served: ServedSubgraphs) -> str:
    lines = ["requests received, in order:"]
    for request in served.log:
        variables = orjson.dumps(dict(request.variables)).decode()
        lines.append(f"  {request.subgraph}: {' '.join(request.query.split())}  {variables}")
    return "\n".join(lines)


def assert_response(actual: Any, expected: Mapping[str, Any]) -> None:
    assert isinstance(actual, Mapping), f"the response is not a JSON object: {actual!r}"
    keys = set(actual) - {"extensions"}
    assert keys == set(expected), f"response keys {sorted(keys)} != {sorted(expected)}: {actual}"
    if "data" in expected:
        assert actual["data"] == expected["data"], f"errors: {actual.get('errors')}"
        assert key_order(actual["data"]) == key_order(expected["data"]), "fields out of order"
    if "errors" in expected:
        assert_errors(actual["errors"], expected["errors"])


def key_order(value: Any) -> Any:
    """The response's shape with object keys as ordered lists, to compare field order."""
    if isinstance(value, Mapping):
        return [(name, key_order(inner)) for name, inner in value.items()]
    if isinstance(value, list):
        return [key_order(item) for item in value]
    return None


def assert_errors(actual: Any, expected: Sequence[Mapping[str, Any]]) -> None:
    assert isinstance(actual, list), f"errors is not a list: {actual!r}"
    unmatched = list(actual)
    for wanted in expected:
        match = next((e for e in unmatched if error_matches(e, wanted)), None)
        assert match is not None, f"no error like {wanted} in {actual}"
        unmatched.remove(match)
    assert not unmatched, f"unexpected errors {unmatched}"


def error_matches(error: Any, wanted: Mapping[str, Any]) -> bool:
    if not isinstance(error, Mapping):
        return False
    for name, value in wanted.items():
        if name == "extensions":
            extensions = error.get("extensions") or {}
            if any(extensions.get(k) != v for k, v in value.items()):
                return False
        elif error.get(name) != value:
            return False
    return True
