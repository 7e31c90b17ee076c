"""@requires field sets as the planner fetches them and as representations read them.

A required field that takes arguments (`price(currency: "EUR")`), or whose
name the client uses as an alias of something else, is fetched under a
private alias named after its arguments, so two requirements of one field
that differ only in arguments never share a response key, and a client's own
selection of that field (or an alias it chose) is left alone.
The representation reads the alias back into the field's name, which is what
the requiring subgraph expects.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from graphql import FieldNode, InlineFragmentNode, NameNode, SelectionSetNode, print_ast

from router.planning.tree import HIDDEN_ALIAS_PREFIX, SelectionTree


@dataclass(frozen=True, slots=True)
class Requirement:
    fetched: SelectionSetNode  # planned as if the client selected it
    read: SelectionSetNode  # how the representation takes it from the data


def requirement(requires: SelectionSetNode, taken: frozenset[str] = frozenset()) -> Requirement:
    """`requires` as fetched and as read; `taken`: response keys the client gives other meanings."""
    fetched: list[FieldNode | InlineFragmentNode] = []
    read: list[FieldNode | InlineFragmentNode] = []
    for selection in requires.selections:
        if isinstance(selection, InlineFragmentNode):
            inner = requirement(selection.selection_set, taken)
            condition = selection.type_condition
            fetched.append(
                InlineFragmentNode(type_condition=condition, selection_set=inner.fetched)
            )
            read.append(InlineFragmentNode(type_condition=condition, selection_set=inner.read))
            continue
        if not isinstance(selection, FieldNode):
            continue
        below = requirement(selection.selection_set, taken) if selection.selection_set else None
        name = selection.name
        private = selection.arguments or name.value in taken
        alias = _private_alias(selection) if private else None
        fetched.append(
            FieldNode(
                alias=alias,
                name=name,
                arguments=selection.arguments,
                selection_set=below.fetched if below else None,
            )
        )
        read.append(
            FieldNode(
                alias=name if alias else None,
                name=alias or name,
                selection_set=below.read if below else None,
            )
        )
    return Requirement(
        SelectionSetNode(selections=tuple(fetched)), SelectionSetNode(selections=tuple(read))
    )


def _private_alias(field_node: FieldNode) -> NameNode:
    arguments = sorted(print_ast(argument) for argument in field_node.arguments or ())
    digest = hashlib.sha256(",".join(arguments).encode()).hexdigest()[:8]
    return NameNode(value=f"{HIDDEN_ALIAS_PREFIX}{field_node.name.value}_{digest}")


def conflicts(tree: SelectionTree | None, read: SelectionSetNode) -> bool:
    """Whether `read` would give a response key of `tree` a second, different meaning."""
    if tree is None:
        return False
    for selection in read.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            inner = tree.fragments.get(condition.name.value) if condition else tree
            if conflicts(inner, selection.selection_set):
                return True
            continue
        if not isinstance(selection, FieldNode):
            continue
        key = selection.alias.value if selection.alias else selection.name.value
        existing = tree.fields.get(key)
        if existing is None:
            continue
        if existing.name != selection.name.value:
            return True
        if selection.selection_set is not None and conflicts(
            existing.children, selection.selection_set
        ):
            return True
    return False
