"""Our composed supergraphs on `@graphql-hive/gateway` (npm): they load and answer the corpus.

Every router corpus case's subgraphs are served in-process and composed by
`router.composition.compose`; Hive Gateway (pinned in `hive/package.json`)
serves that supergraph, one gateway process per set of subgraphs, and gets
the case's operation. Its answer must be the case's expected response (our
router's): the same data in the same field order, the same errors where they
are deterministic (subgraph errors, validation errors; graphql-js's double
quotes read as graphql-core's single ones) and the same HTTP status.

Where Hive answers differently, the case is in `KNOWN_DIFFERENCES` with the
reason and Hive's whole answer, pinned: if Hive changes, the test fails and
the entry is revisited. Without Node.js or npm the tests skip, except under
`CI=true`, where they fail.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from router.composition import SubgraphSource, compose
from tests.backends import IN_CI
from tests.router.harness import RouterCase, SubgraphSpec, assert_response, serve_subgraphs
from tests.router.harness.hive import (
    HiveAnswer,
    HiveFailed,
    HiveUnavailable,
    corpus_cases,
    group_by_subgraphs,
    hive_binary,
    run_hive,
    single_quoted,
)

# Cases Hive Gateway is not asked at all, and why.
NOT_ASKED: Mapping[str, str] = {
    case_id: (
        "Hive Gateway expands fragments that spread each other twice exponentially and does "
        "not answer within the request timeout, which stalls every other case on its gateway"
    )
    for case_id in (
        "containment-fragment-doubling-planned-once",
        "containment-fragment-doubling-across-a-jump",
        "containment-fragment-doubling-under-conditions",
    )
}
CASES = [case for case in corpus_cases() if case.id not in NOT_ASKED]
# Gateways started at once: each start costs Node about 1.5 s of CPU, and CI has 2 cores.
CONCURRENT_GATEWAYS = 3
SAME_DATA: Any = object()  # a known difference in errors only: Hive's data is ours


@dataclass(frozen=True)
class KnownDifference:
    """Hive's whole answer to a case where it differs from our router, and why."""

    reason: str
    errors: Sequence[Mapping[str, Any]]
    data: Any = SAME_DATA

    def hive_response(self, case: RouterCase) -> dict[str, Any]:
        response: dict[str, Any] = {"errors": list(self.errors)}
        if self.data is not SAME_DATA:
            response["data"] = self.data
        elif "data" in case.expected_response:
            response["data"] = case.expected_response["data"]
        return response


def _masked(*path: str | int) -> dict[str, Any]:
    return {"message": "Unexpected error.", "path": list(path), "extensions": INTERNAL}


INTERNAL = {"code": "INTERNAL_SERVER_ERROR"}
UNREACHABLE = (
    "Hive masks a failed subgraph fetch as 'Unexpected error.' (INTERNAL_SERVER_ERROR) without "
    "extensions.serviceName; we name the service"
)
REPATHED = (
    "Hive re-paths an `_entities` error to the wrong list index (Bob's error, representation 1, "
    "lands on item 0); we use the index of the item the representation came from"
)
REQUIRES_CHAIN = (
    "Hive cannot plan @requires chains that go back and forth between two subgraphs "
    "(A needs B needs A): it reports the field unsatisfiable, or sends a representation "
    "without the required field; we plan each step as its own fetch"
)
ONE_KEY_TWO_TYPES = (
    "Hive selects `id` on the interface (ID) and on User (ID!) in one selection set, which the "
    "subgraph refuses; we give one of them a private alias and rename it back"
)


def _unsatisfiable(
    root: str, field: str, subgraph: str, column: int, path: list[str | int]
) -> dict[str, Any]:
    """Hive's error for a field it finds no way to plan."""
    moves = "".join(
        f'\n  - cannot move to subschema "{target}" using key fields {{ id }} of "Product"; '
        f'the key field(s) cannot be resolved from subschema "{subgraph}".'
        for target in ("pricing", "warehouse")
    )
    message = (
        "The following field cannot be satisfied by the subschemas:\n"
        f"{{\n  {root} {{\n    {field}\n  }}\n}}\nbecause:\n"
        f'- from subschema "{subgraph}":\n  - cannot find field "Product.{field}".{moves}'
    )
    return {
        "message": message,
        "locations": [{"line": 1, "column": column}],
        "path": path,
        "extensions": {"code": "SATISFIABILITY_ERROR"},
    }


def _conflict(service: str, *path: str) -> dict[str, Any]:
    message = (
        "Fields 'id' conflict because they return conflicting types 'ID' and 'ID!'. "
        "Use different aliases on the fields to fetch both if this was intentional."
    )
    return {
        "message": message,
        "path": list(path),
        "extensions": {"code": "DOWNSTREAM_SERVICE_ERROR", "serviceName": service},
    }


KNOWN_DIFFERENCES: Mapping[str, KnownDifference] = {
    "requires-chain-a-b-a-b-a": KnownDifference(
        reason=REQUIRES_CHAIN,
        data=None,
        errors=[_unsatisfiable("products", "a4", "warehouse", 14, ["products", 0, "a4"])],
    ),
    "requires-chain-a-b-a-from-a-root": KnownDifference(
        reason=REQUIRES_CHAIN,
        data={"product": None},
        errors=[_unsatisfiable("product", "b3", "warehouse", 27, ["product", "b3"])],
    ),
    "requires-chain-entered-from-the-other-subgraph": KnownDifference(
        reason=REQUIRES_CHAIN,
        data={"deal": None},
        errors=[_unsatisfiable("deal", "a4", "pricing", 10, ["deal", "a4"])],
    ),
    "requires-chain-short-and-long-side-by-side": KnownDifference(
        reason=REQUIRES_CHAIN,
        data=None,
        errors=[_unsatisfiable("products", "a2", "warehouse", 14, ["products", 0, "a2"])],
    ),
    "requires-chain-every-step-selected": KnownDifference(
        reason=REQUIRES_CHAIN,
        data=None,
        errors=[
            {
                "message": "unsupported operand type(s) for +: 'NoneType' and 'int'",
                "path": ["products", 0, "b3", "b1"],
                "extensions": {"code": "DOWNSTREAM_SERVICE_ERROR", "serviceName": "warehouse"},
            }
        ],
    ),
    "requires-field-named-like-a-client-alias-not-confused": KnownDifference(
        reason=(
            "Hive merges the required `b1` into the client's `b1: name` and fails on the "
            "mismatch; we fetch the required field under a private alias"
        ),
        data=None,
        errors=[
            {
                "message": "Unexpected error.",
                "locations": [{"line": 1, "column": 14}],
                "path": ["products", 0, "b1"],
                "extensions": INTERNAL,
            }
        ],
    ),
    "valid-fetch-one-name-two-types-aliased-and-renamed-back": KnownDifference(
        reason=ONE_KEY_TWO_TYPES, data=None, errors=[_conflict("accounts", "accounts")]
    ),
    "valid-fetch-one-name-two-types-inside-an-entity-fetch": KnownDifference(
        reason=ONE_KEY_TWO_TYPES, data=None, errors=[_conflict("accounts", "shops", "owner")]
    ),
    "valid-fetch-type-condition-of-another-subgraph-dropped": KnownDifference(
        reason=ONE_KEY_TWO_TYPES, data=None, errors=[_conflict("audit", "recent")]
    ),
    "alias-named-like-the-key-the-jump-needs": KnownDifference(
        reason=(
            "Hive sends the client's `id: name` next to the key `id` it needs in one selection, "
            "which the subgraph rejects as conflicting; we give the key a private alias"
        ),
        data={"me": None},
        errors=[
            {
                "message": "Fields 'id' conflict because 'name' and 'id' are different fields. "
                "Use different aliases on the fields to fetch both if this was intentional.",
                "path": ["me"],
                "extensions": {"code": "DOWNSTREAM_SERVICE_ERROR", "serviceName": "users"},
            }
        ],
    ),
    "skipped-key-field-still-serves-the-jump": KnownDifference(
        reason=(
            "Hive keeps `@skip(if: true)` on the key field it also needs for the jump, so the "
            "representation lacks `id` and the jump fails; we fetch the key unconditionally"
        ),
        data={"me": None},
        errors=[{**_masked("me", "reviews"), "locations": [{"line": 1, "column": 27}]}],
    ),
    "error-in-an-entity-fetch-re-pathed-to-the-client-path": KnownDifference(
        reason=REPATHED,
        errors=[
            {
                "message": "email is private",
                "path": ["topReviews", 0, "author", "email"],
                "extensions": {"code": "FORBIDDEN", "serviceName": "users"},
            }
        ],
    ),
    "error-several-errors-from-one-fetch": KnownDifference(
        reason=REPATHED,
        errors=[
            {
                "message": "email is private",
                "path": ["topReviews", 0, "author", "email"],
                "extensions": {"code": "FORBIDDEN", "serviceName": "users"},
            },
            {
                "message": "name unavailable",
                "path": ["topReviews", 2, "author", "name"],
                "extensions": {"code": "UNAVAILABLE", "serviceName": "users"},
            },
        ],
    ),
    "error-unreachable-subgraph-root-field-partial-data": KnownDifference(
        reason=UNREACHABLE, errors=[_masked("latestReviews")]
    ),
    "error-unreachable-subgraph-non-null-root-field-nulls-data": KnownDifference(
        reason=UNREACHABLE, errors=[_masked("topReviews")]
    ),
    "error-unreachable-subgraph-in-an-entity-fetch": KnownDifference(
        reason=UNREACHABLE + "; Hive gives one error per entity, we give one per fetch",
        errors=[_masked("topReviews", item, "author", "name") for item in range(3)],
    ),
    "error-unreachable-subgraph-keeps-what-others-gave": KnownDifference(
        reason=UNREACHABLE, errors=[_masked("latestReviews", 0, "author", "email")]
    ),
    "inaccessible-enum-value-refused-in-a-variable": KnownDifference(
        reason="graphql-js words a bad variable value differently from graphql-core",
        errors=[
            {
                "message": 'Variable "$role" got invalid value "INTERNAL"; '
                'Value "INTERNAL" does not exist in "Role" enum.',
                "locations": [{"line": 1, "column": 9}],
            }
        ],
    ),
}


@dataclass
class HiveRun:
    """Hive's answer per case id, or why the case's gateway gave none."""

    answers: dict[str, HiveAnswer] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


def _require_hive() -> None:
    try:
        hive_binary()
    except HiveUnavailable as error:
        if IN_CI:
            pytest.fail(f"{error}, and CI=true does not allow skipping")
        pytest.skip(str(error))


@pytest.fixture(scope="module")
async def hive_run(tmp_path_factory: pytest.TempPathFactory) -> HiveRun:
    await asyncio.to_thread(_require_hive)  # installs on first use (about 20 s)
    directory = tmp_path_factory.mktemp("hive-gateway")
    run = HiveRun()
    limit = asyncio.Semaphore(CONCURRENT_GATEWAYS)

    async def one(number: int, cases: list[RouterCase]) -> None:
        async with limit:
            await _ask_group(cases, directory / f"supergraph-{number}.graphql", run)

    await asyncio.gather(*(one(n, cases) for n, cases in enumerate(group_by_subgraphs(CASES))))
    return run


async def _ask_group(cases: Sequence[RouterCase], supergraph: Path, run: HiveRun) -> None:
    """One gateway for cases that share their subgraphs; a failure is every case's answer."""
    specs = cases[0].subgraphs
    async with serve_subgraphs(specs) as served:
        refused = await asyncio.to_thread(_compose_to, supergraph, specs, served)
        if refused is not None:
            run.failures.update({case.id: f"our composition failed:\n{refused}" for case in cases})
            return
        try:
            async with run_hive(supergraph) as hive:
                for case in cases:
                    run.answers[case.id] = await hive.execute(case)
        except (HiveFailed, aiohttp.ClientError, TimeoutError, json.JSONDecodeError) as error:
            failure = f"Hive Gateway on {supergraph}: {error!r}"
            run.failures.update({case.id: failure for case in cases if case.id not in run.answers})


def _compose_to(path: Path, specs: Sequence[SubgraphSpec], urls: Mapping[str, str]) -> str | None:
    """Our supergraph of the served subgraphs, written to `path`; else why we refused it."""
    result = compose([SubgraphSource(spec.name, urls[spec.name], spec.sdl) for spec in specs])
    if result.supergraph_sdl is None:
        return "\n".join(str(error) for error in result.errors)
    path.write_text(result.supergraph_sdl)
    return None


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hive_answers_like_our_router(case: RouterCase, hive_run: HiveRun) -> None:
    if case.id in hive_run.failures:
        pytest.fail(hive_run.failures[case.id])
    answer = hive_run.answers[case.id]
    difference = KNOWN_DIFFERENCES.get(case.id)
    if difference is None:
        assert_response(single_quoted(answer.body), case.expected_response)
    else:
        body = {name: value for name, value in answer.body.items() if name != "extensions"}
        assert body == difference.hive_response(case), f"Hive changed: {difference.reason}"
    if case.expected_status is not None:
        assert answer.status == case.expected_status, answer.body


def test_known_differences_name_corpus_cases() -> None:
    assert set(KNOWN_DIFFERENCES) <= {case.id for case in CASES}
    assert set(NOT_ASKED) <= {case.id for case in corpus_cases()}
