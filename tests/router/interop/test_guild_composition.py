"""Our composition against The Guild's `@theguild/federation-composition` on the same corpus.

Every corpus case is composed by both (all of them in one `node` run). For a
valid case both must succeed, and loading either supergraph with
`load_supergraph` must give the same API schema and the same ownership; for an
invalid case both must fail. Cases marked `# interop: skip` differ on purpose
(the reason is in the case file): for them we must give the case's own outcome
and The Guild the one pinned in `GUILD_ON_PURPOSE`, so a change on either side
fails instead of hiding behind a skip.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from router.composition import compose
from router.supergraph import load_supergraph
from tests.backends import IN_CI
from tests.router.composition.corpus import Case, error_keys, load_cases
from tests.router.interop.ownership import api_schema_text, ownership

HERE = Path(__file__).parent
CASES = load_cases()
AGREED = [case for case in CASES if not case.interop_skip]
ON_PURPOSE = [case for case in CASES if case.interop_skip]
INSTALL_FILES = ("package.json", "package-lock.json", "compose.mjs")

# The Guild's outcome: its errors as (code, subgraph) pairs, sorted; () when it composes.
GuildOutcome = tuple[tuple[str, str], ...]
COMPOSES: GuildOutcome = ()
# What The Guild (0.27.0) does with each case we handle differently on purpose.
GUILD_ON_PURPOSE: Mapping[str, GuildOutcome] = {
    "err_external_on_interface": COMPOSES,
    "err_federation_1_subgraph": COMPOSES,
    "err_interface_key_missing_implementation": COMPOSES,
    "err_interface_object_defines_implementation": COMPOSES,
    "err_key_union_field": COMPOSES,
    "err_only_inaccessible_union_members": COMPOSES,
    "err_unsupported_context": COMPOSES,
    "strawberry_service_sdl": (
        ("UNKNOWN_FEDERATION_LINK_VERSION", "orders"),
        ("UNKNOWN_FEDERATION_LINK_VERSION", "users"),
    ),
}
# The Guild names the subgraph at the start of each message: "[name] ...".
SUBGRAPH_PREFIX = re.compile(r"\[([^\]]+)\] ")


def _tools_or_skip() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        return node, npm
    reason = "node and npm are needed to run The Guild's federation-composition"
    if IN_CI:
        pytest.fail(f"{reason}, and CI=true does not allow skipping")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def guild(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    node, npm = _tools_or_skip()
    workdir = tmp_path_factory.mktemp("guild-composition")
    for name in INSTALL_FILES:
        shutil.copy(HERE / name, workdir / name)
    subprocess.run(  # noqa: S603 - fixed arguments, npm found on PATH
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=workdir,
        check=True,
        timeout=120,
        capture_output=True,
    )
    payload = [
        {
            "name": case.name,
            "subgraphs": [{"name": s.name, "url": s.url, "sdl": s.sdl} for s in case.subgraphs],
        }
        for case in CASES
    ]
    completed = subprocess.run(  # noqa: S603 - fixed arguments, node found on PATH
        [node, "compose.mjs"],
        cwd=workdir,
        input=json.dumps(payload),
        text=True,
        check=True,
        timeout=60,
        capture_output=True,
    )
    return {entry["name"]: entry for entry in json.loads(completed.stdout)}


@pytest.mark.parametrize("case", AGREED, ids=[case.name for case in AGREED])
def test_same_outcome_as_guild(case: Case, guild: dict[str, dict[str, Any]]) -> None:
    theirs = guild[case.name]
    ours = compose(case.subgraphs)
    if not case.valid:
        assert ours.supergraph_sdl is None
        assert theirs["supergraph"] is None, "The Guild composed a case we reject"
        return
    assert ours.supergraph_sdl is not None, [e.message for e in ours.errors]
    assert theirs["supergraph"] is not None, theirs["errors"]
    our_supergraph = load_supergraph(ours.supergraph_sdl)
    their_supergraph = load_supergraph(theirs["supergraph"])
    assert api_schema_text(our_supergraph.api_schema) == api_schema_text(
        their_supergraph.api_schema
    )
    assert ownership(our_supergraph) == ownership(their_supergraph)
    # @cost / @listSize: the router reads the same figures from either supergraph.
    assert our_supergraph.costs == their_supergraph.costs


def test_every_difference_on_purpose_is_pinned() -> None:
    assert set(GUILD_ON_PURPOSE) == {case.name for case in ON_PURPOSE}


@pytest.mark.parametrize("case", ON_PURPOSE, ids=[case.name for case in ON_PURPOSE])
def test_difference_on_purpose(case: Case, guild: dict[str, dict[str, Any]]) -> None:
    ours = compose(case.subgraphs)
    assert error_keys(ours.errors) == case.errors
    assert (ours.supergraph_sdl is not None) == case.valid
    assert _guild_outcome(guild[case.name]) == GUILD_ON_PURPOSE[case.name], (
        f"The Guild changed; the case says: {case.interop_skip}"
    )


def _guild_outcome(theirs: dict[str, Any]) -> GuildOutcome:
    if theirs["supergraph"] is not None:
        return COMPOSES
    pairs = []
    for error in theirs["errors"]:
        named = SUBGRAPH_PREFIX.match(error["message"])
        pairs.append((error["code"], named.group(1) if named else "-"))
    return tuple(sorted(pairs))
