"""Response keys one subgraph cannot take twice: private aliases, renamed back on merge.

Selecting one field per object type (`... on User { id } ... on Admin { id }`)
is what the planner does before jumps, and is what the client asked; but
where the subgraph types those fields differently (`ID!` and `ID`), one
selection set may not use one response key for both. The first keeps the
key; the others get a private alias, and the fetch carries a `Rename` for
each so the executor puts the value back under the key before merging.
"""

from __future__ import annotations

from graphql import (
    GraphQLCompositeType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_composite_type,
)

from router.planning.groups import FetchGroup
from router.planning.plan import LIST, PathElement, Rename, type_condition
from router.planning.selections import list_depth
from router.planning.tree import HIDDEN_ALIAS_PREFIX, FieldSelection, SelectionTree
from router.supergraph.model import Supergraph


def alias_conflicts(group: FetchGroup, supergraph: Supergraph, root: GraphQLObjectType) -> None:
    """Gives conflicting response keys of the group's fetch private aliases (see module).

    `root` is the operation's root type, where a root fetch selects.
    """
    renames: list[Rename] = []
    if group.is_entity:
        for type_name, tree in group.tree.fragments.items():
            entity_type = supergraph.schema.get_type(type_name)
            if is_composite_type(entity_type):
                at = (type_condition(type_name),)
                _scope(tree, entity_type, at, group.graph, supergraph, renames)
    else:
        _scope(group.tree, root, (), group.graph, supergraph, renames)
    group.renames = tuple(renames)


def _scope(
    tree: SelectionTree,
    parent: GraphQLCompositeType,
    path: tuple[PathElement, ...],
    graph: str,
    supergraph: Supergraph,
    renames: list[Rename],
) -> None:
    """One selection set: its own fields and those of its fragments share response keys."""
    seen: dict[str, str] = {}  # response key -> the field's type in this subgraph
    for owner, at, fields in _fields_in_scope(tree, parent, path, supergraph.schema):
        for selection in list(fields.values()):
            if selection.name == "__typename":
                continue
            field_def = getattr(owner, "fields", {}).get(selection.name)
            if field_def is None:
                continue
            source = supergraph.field_sources(owner.name, selection.name).get(graph)
            printed = source.type if source and source.type else str(field_def.type)
            key = selection.response_key
            if seen.setdefault(key, printed) != printed:
                alias = f"{HIDDEN_ALIAS_PREFIX}{key}_{owner.name}"
                _rekey(fields, selection, alias)
                renames.append(Rename(at, alias, key))
                key = alias
            if selection.children is not None:
                named = get_named_type(field_def.type)
                below = (*at, key, *[LIST] * list_depth(field_def.type))
                if is_composite_type(named):
                    _scope(selection.children, named, below, graph, supergraph, renames)


def _fields_in_scope(
    tree: SelectionTree,
    parent: GraphQLCompositeType,
    path: tuple[PathElement, ...],
    schema: GraphQLSchema,
) -> list[tuple[GraphQLCompositeType, tuple[PathElement, ...], dict[str, FieldSelection]]]:
    found = [(parent, path, tree.fields)]
    for type_name, fragment in tree.fragments.items():
        condition = schema.get_type(type_name)
        if is_composite_type(condition):
            at = (*path, type_condition(type_name))
            found += _fields_in_scope(fragment, condition, at, schema)
    return found


def _rekey(fields: dict[str, FieldSelection], selection: FieldSelection, alias: str) -> None:
    """Moves `selection` under `alias`, keeping the order of the fields."""
    items = [(alias if f is selection else k, f) for k, f in fields.items()]
    selection.alias = alias
    fields.clear()
    fields.update(items)
