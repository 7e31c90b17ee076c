"""The supergraph keeps every name the public API contract promises clients.

`PENDING` lists what the contract names but no subgraph serves yet; each
subgraph that lands removes its entries. Anything else missing, or served with
another type, is a breaking change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, build_schema

from router.supergraph import load_supergraph

ROOT = Path(__file__).parents[1]
# The contract lives in the planning notes beside the repository; a copy is
# kept in schema/ so a lone clone can check itself against it too.
SHARED_CONTRACT = ROOT.parent / "shared" / "api-contract.graphql"
CONTRACT = SHARED_CONTRACT if SHARED_CONTRACT.exists() else ROOT / "schema" / "api-contract.graphql"

PENDING: set[str] = set()  # every subgraph the contract names is served


def _differences() -> set[str]:
    contract = build_schema(CONTRACT.read_text())
    api = load_supergraph((ROOT / "schema" / "supergraph.graphql").read_text()).api_schema
    found: set[str] = set()
    for name, promised in contract.type_map.items():
        if name.startswith("__"):
            continue
        served = api.type_map.get(name)
        if served is None:
            found.add(f"type {name}")
            continue
        if isinstance(promised, (GraphQLObjectType, GraphQLInputObjectType)):
            for field_name, field in promised.fields.items():
                ours = served.fields.get(field_name)  # type: ignore[attr-defined]  # same kind as promised
                if ours is None:
                    found.add(f"{name}.{field_name}")
                elif str(ours.type) != str(field.type):
                    found.add(f"{name}.{field_name}: {field.type} served as {ours.type}")
        if isinstance(promised, GraphQLEnumType):
            served_values = served.values  # type: ignore[attr-defined]  # an enum, as promised
            found.update(f"{name}.{v}" for v in promised.values if v not in served_values)
    return found


def test_the_supergraph_serves_the_contract() -> None:
    assert _differences() - PENDING == set()


def test_pending_entries_are_really_pending() -> None:
    """Once a subgraph serves a name, it leaves PENDING, so the list stays true."""
    assert PENDING - _differences() == set()


def test_the_copy_of_the_contract_is_current() -> None:
    if not SHARED_CONTRACT.exists():
        pytest.skip(f"no shared contract at {SHARED_CONTRACT}: a lone clone has only the copy")
    assert (ROOT / "schema" / "api-contract.graphql").read_text() == SHARED_CONTRACT.read_text()
