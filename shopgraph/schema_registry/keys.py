"""Entity key changes: the part of a supergraph change that clients never see.

A router still running the previous supergraph sends `_entities`
representations with the keys it knows, so a resolvable key a subgraph drops
(or makes unresolvable) breaks entity fetches until every router reloads.
Keys are compared per subgraph, by their normalized field set.
"""

from __future__ import annotations

from graphql import print_ast

from router.supergraph import Supergraph
from shopgraph.schema_registry.changes import Change, ChangeCode, Criticality


def _keys(supergraph: Supergraph) -> dict[str, set[tuple[str, str]]]:
    """Type -> {(subgraph name, normalized fields)} of its resolvable keys."""
    keys: dict[str, set[tuple[str, str]]] = {}
    for meta in supergraph.types.values():
        for key in meta.keys:
            if key.resolvable:
                fields = " ".join(print_ast(key.selection_set).split())
                graph = supergraph.graphs[key.graph].name
                keys.setdefault(meta.name, set()).add((graph, fields.strip("{} ")))
    return keys


def diff_keys(old: Supergraph, new: Supergraph) -> list[Change]:
    before, after = _keys(old), _keys(new)
    changes: list[Change] = []
    for type_name in sorted(before.keys() | after.keys()):
        old_keys = before.get(type_name, set())
        new_keys = after.get(type_name, set())
        for graph, fields in sorted(old_keys - new_keys):
            changes.append(
                Change(
                    type_name,
                    ChangeCode.ENTITY_KEY_REMOVED,
                    Criticality.BREAKING,
                    f'Subgraph {graph} no longer resolves {type_name} by key "{fields}"',
                    type_name,
                )
            )
        for graph, fields in sorted(new_keys - old_keys):
            changes.append(
                Change(
                    type_name,
                    ChangeCode.ENTITY_KEY_ADDED,
                    Criticality.SAFE,
                    f'Subgraph {graph} resolves {type_name} by key "{fields}"',
                    type_name,
                )
            )
    return changes
