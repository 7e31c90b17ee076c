"""Every UserError code a subgraph raises is declared in its one StrEnum, every declared
code is raised somewhere, no code is a loose string, and each schema lists its codes."""

from __future__ import annotations

import ast
import enum
from pathlib import Path

import pytest

from subgraphs.catalog.errors import CatalogErrorCode
from subgraphs.catalog.schema import schema as catalog_schema
from subgraphs.commerce.errors import CommerceErrorCode
from subgraphs.commerce.schema import schema as commerce_schema
from subgraphs.insights.errors import InsightsErrorCode
from subgraphs.insights.schema import schema as insights_schema
from subgraphs.platform.errors import PlatformErrorCode
from subgraphs.social.domain import ReviewErrorCode
from subgraphs.social.schema import schema as social_schema
from subgraphs.users.errors import UsersErrorCode
from subgraphs.users.schema import schema as users_schema

ROOT = Path(__file__).parents[2] / "subgraphs"
CODES: dict[str, type[enum.StrEnum]] = {
    "users": UsersErrorCode,
    "catalog": CatalogErrorCode,
    "commerce": CommerceErrorCode,
    "social": ReviewErrorCode,
    "insights": InsightsErrorCode,
}
SCHEMAS = {
    "users": users_schema,
    "catalog": catalog_schema,
    "commerce": commerce_schema,
    "social": social_schema,
    "insights": insights_schema,
}
# Platform functions that raise a platform code on the caller's behalf.
PLATFORM_RAISERS = {"decode_cursor": PlatformErrorCode.INVALID_CURSOR}
RAISERS = {"DomainError", "refusal", "query_error"}


def _modules(subgraph: str) -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text()))
        for path in sorted((ROOT / subgraph).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _raised(subgraph: str, codes: type[enum.StrEnum]) -> set[str]:
    """Members of `codes` the subgraph's code names, and platform codes it lets through."""
    found: set[str] = set()
    for _, module in _modules(subgraph):
        for node in ast.walk(module):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == codes.__name__
            ):
                found.add(node.attr)
            if isinstance(node, ast.Name) and node.id in PLATFORM_RAISERS:
                found.add(PLATFORM_RAISERS[node.id].value)
    return found


@pytest.mark.parametrize("subgraph", list(CODES))
def test_every_code_raised_is_declared_and_every_declared_code_is_raised(
    subgraph: str,
) -> None:
    codes = CODES[subgraph]
    declared = set(codes.__members__)
    raised = _raised(subgraph, codes)

    assert raised - declared == set(), "raised but not declared"
    assert declared - raised == set(), "declared but never raised"


@pytest.mark.parametrize("subgraph", [*CODES, "platform"])
def test_no_code_is_a_loose_string(subgraph: str) -> None:
    loose = [
        f"{path.name}:{node.lineno}"
        for path, module in _modules(subgraph)
        for node in ast.walk(module)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in RAISERS
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    assert loose == []


@pytest.mark.parametrize("subgraph", list(CODES))
def test_the_schema_lists_the_codes(subgraph: str) -> None:
    codes = CODES[subgraph]
    sdl = SCHEMAS[subgraph].as_str()
    block = sdl.split(f"enum {codes.__name__} {{", 1)[1].split("}", 1)[0]

    assert block.split() == list(codes.__members__)
