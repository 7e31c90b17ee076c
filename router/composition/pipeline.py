"""The composition pipeline: subgraph SDLs in, a supergraph SDL or every error out.

Stages: load each subgraph (parse, links, machinery stripping, GraphQL
validity) and check its own federation rules -> merge -> check the merged
supergraph (`@inaccessible` consistency, satisfiability) -> print. A stage runs
only when the ones before it found nothing wrong, since its findings would
mostly be echoes of earlier errors; within a stage every error is collected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from router.composition.errors import Code, CompositionError, Errors
from router.composition.inaccessible import check_inaccessible
from router.composition.merge import merge
from router.composition.model import Subgraph
from router.composition.printer import print_supergraph
from router.composition.satisfiability import check_satisfiability
from router.composition.subgraph import load_subgraph
from router.composition.validate import validate_subgraph


@dataclass(frozen=True)
class SubgraphSource:
    name: str
    url: str
    sdl: str


@dataclass(frozen=True)
class CompositionResult:
    supergraph_sdl: str | None
    errors: tuple[CompositionError, ...]


def compose(subgraphs: Sequence[SubgraphSource]) -> CompositionResult:
    errors = Errors()
    sources = sorted(subgraphs, key=lambda s: s.name)
    _check_names(sources, errors)
    if errors:
        return CompositionResult(None, errors.items())
    ids = graph_ids([s.name for s in sources])
    loaded: list[Subgraph] = []
    for source in sources:
        subgraph = load_subgraph(source.name, source.url, source.sdl, ids[source.name], errors)
        if subgraph is not None:
            validate_subgraph(subgraph, errors)
            loaded.append(subgraph)
    if errors:
        return CompositionResult(None, errors.items())
    merged = merge(loaded, errors)
    if errors:
        return CompositionResult(None, errors.items())
    check_inaccessible(merged, errors)
    check_satisfiability(merged, errors)
    if errors:
        return CompositionResult(None, errors.items())
    return CompositionResult(print_supergraph(merged, ids), ())


def _check_names(sources: Sequence[SubgraphSource], errors: Errors) -> None:
    if not sources:
        errors.add(Code.NO_QUERIES, "No subgraphs to compose: a supergraph needs at least one.")
    seen: set[str] = set()
    for source in sources:
        if not source.name.strip() or source.name == "_":
            errors.add(
                Code.INVALID_SUBGRAPH_NAME,
                f'Invalid name "{source.name}" for a subgraph: the name must not be empty or "_"',
                (source.name,),
            )
        elif source.name in seen:
            errors.add(
                Code.INVALID_SUBGRAPH_NAME,
                f'More than one subgraph is named "{source.name}": names must be unique',
                (source.name,),
            )
        seen.add(source.name)


def graph_ids(names: Sequence[str]) -> dict[str, str]:
    """`join__Graph` enum values: names upper-cased into GraphQL names, clashes numbered."""
    sanitized: dict[str, list[str]] = {}
    for name in names:
        value = re.sub(r"\W", "_", name)
        if value[:1].isdigit():
            value = f"_{value}"
        if re.search(r"_\d+$", value):
            # Keep room for the `_N` suffixes clashes get.
            value = f"{value}_"
        sanitized.setdefault(value.upper(), []).append(name)
    ids: dict[str, str] = {}
    for value, owners in sanitized.items():
        for index, owner in enumerate(owners, start=1):
            ids[owner] = value if len(owners) == 1 else f"{value}_{index}"
    return ids
