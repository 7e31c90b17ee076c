"""Change classification, data-driven: each case in classification_cases.yaml is a
before/after pair of subgraph SDLs and every change expected between the two
supergraphs, as `CRITICALITY CODE coordinate`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from router.composition import SubgraphSource, compose
from shopgraph.schema_registry.compare import compare_supergraphs

CASES = yaml.safe_load((Path(__file__).parent / "classification_cases.yaml").read_text())
FED = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", '
    '"@shareable", "@inaccessible", "@external", "@authenticated", "@requiresScopes"])\n'
)


def supergraph(subgraphs: str | dict[str, str]) -> str:
    named = {"a": subgraphs} if isinstance(subgraphs, str) else subgraphs
    result = compose(
        [SubgraphSource(name, f"http://{name}", FED + sdl) for name, sdl in named.items()]
    )
    assert result.errors == (), result.errors
    assert result.supergraph_sdl is not None
    return result.supergraph_sdl


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case(case: dict[str, Any]) -> None:
    changes = compare_supergraphs(supergraph(case["before"]), supergraph(case["after"]))
    found = [f"{c.criticality} {c.code} {c.coordinate}" for c in changes]
    assert sorted(found) == sorted(case["changes"])
