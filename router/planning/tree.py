"""Selections being gathered for one subgraph fetch, made graphql-core AST at the end.

graphql-core's AST is immutable, so the planner collects a mutable tree:
fields by response key (in first-seen order, so fetches keep the client's
order) and inline fragments by type condition.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionSetNode,
    VariableNode,
)
from graphql.language import Visitor, visit

# Response keys clients cannot choose: names starting with "__" are reserved.
HIDDEN_ALIAS_PREFIX = "__sg_"


@dataclass(slots=True)
class FieldSelection:
    name: str
    alias: str | None = None
    arguments: tuple[ArgumentNode, ...] = ()
    directives: tuple[DirectiveNode, ...] = ()
    children: SelectionTree | None = None

    @property
    def response_key(self) -> str:
        return self.alias or self.name


@dataclass(slots=True)
class SelectionTree:
    fields: dict[str, FieldSelection] = field(default_factory=dict)
    fragments: dict[str, SelectionTree] = field(default_factory=dict)

    def add_field(
        self,
        name: str,
        alias: str | None = None,
        arguments: tuple[ArgumentNode, ...] = (),
        directives: tuple[DirectiveNode, ...] = (),
        composite: bool = False,
    ) -> FieldSelection:
        key = alias or name
        existing = self.fields.get(key)
        if existing is None:
            existing = self.fields[key] = FieldSelection(name, alias, arguments, directives)
        elif existing.directives != directives:
            # The same field reached with and without a condition must be fetched
            # whenever either asks for it.
            existing.directives = ()
        if composite and existing.children is None:
            existing.children = SelectionTree()
        return existing

    def fragment(self, type_name: str) -> SelectionTree:
        tree = self.fragments.get(type_name)
        if tree is None:
            tree = self.fragments[type_name] = SelectionTree()
        return tree

    def add_selection_set(self, selection_set: SelectionSetNode) -> None:
        """Merge a field set (a key, @requires fields) into the tree, aliases included."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                sub = selection.selection_set
                alias = selection.alias.value if selection.alias else None
                child = self.add_field(selection.name.value, alias, composite=sub is not None)
                if sub is not None and child.children is not None:
                    child.children.add_selection_set(sub)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.fragment(condition.name.value) if condition else self
                target.add_selection_set(selection.selection_set)

    def add_hidden(self, selection_set: SelectionSetNode) -> SelectionSetNode:
        """Adds fields the router needs (keys, @requires fields); how to read them back.

        When the client already uses a field's name as the alias of another field,
        the needed field is fetched under a private alias instead, and the
        returned selection names that alias (`id: __sg_id` reads `__sg_id` into
        the representation's `id`).
        """
        read: list[FieldNode | InlineFragmentNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.fragment(condition.name.value) if condition else self
                inner = target.add_hidden(selection.selection_set)
                read.append(InlineFragmentNode(type_condition=condition, selection_set=inner))
                continue
            if not isinstance(selection, FieldNode):
                continue
            name = selection.name.value
            taken = self.fields.get(name)
            alias = None
            if taken is not None and (taken.name != name or taken.arguments):
                alias = f"{HIDDEN_ALIAS_PREFIX}{name}"
            sub = selection.selection_set
            child = self.add_field(name, alias, composite=sub is not None)
            inner_read = None
            if sub is not None and child.children is not None:
                inner_read = child.children.add_hidden(sub)
            read.append(
                FieldNode(
                    name=NameNode(value=alias) if alias else selection.name,
                    alias=NameNode(value=name) if alias else None,
                    selection_set=inner_read,
                )
            )
        return SelectionSetNode(selections=tuple(read))

    def is_empty(self) -> bool:
        return not self.fields and not any(not f.is_empty() for f in self.fragments.values())

    def variables(self) -> Iterator[str]:
        for selection in self.fields.values():
            for argument in selection.arguments:
                yield from _variables_in(argument)
            for directive in selection.directives:
                yield from _variables_in(directive)
            if selection.children is not None:
                yield from selection.children.variables()
        for fragment in self.fragments.values():
            yield from fragment.variables()

    def selection_set(self) -> SelectionSetNode:
        """The tree as graphql-core AST: fields first, then non-empty fragments."""
        selections: list[FieldNode | InlineFragmentNode] = [
            FieldNode(
                alias=NameNode(value=selection.alias) if selection.alias else None,
                name=NameNode(value=selection.name),
                arguments=selection.arguments,
                directives=selection.directives,
                selection_set=(
                    selection.children.selection_set() if selection.children is not None else None
                ),
            )
            for selection in self.fields.values()
        ]
        selections += [
            InlineFragmentNode(
                type_condition=NamedTypeNode(name=NameNode(value=type_name)),
                directives=(),
                selection_set=fragment.selection_set(),
            )
            for type_name, fragment in self.fragments.items()
            if not fragment.is_empty()
        ]
        return SelectionSetNode(selections=tuple(selections))

    def response_keys(self) -> tuple[str, ...]:
        """The keys the tree fills at its level (fragments' included), `__typename` aside."""
        keys = dict.fromkeys(key for key in self.fields if key != "__typename")
        for fragment in self.fragments.values():
            keys.update(dict.fromkeys(fragment.response_keys()))
        return tuple(keys)


def _variables_in(node: ArgumentNode | DirectiveNode) -> list[str]:
    found: list[str] = []

    class Collect(Visitor):
        def enter_variable(self, variable: VariableNode, *_: object) -> None:
            found.append(variable.name.value)

    visit(node, Collect())
    return found
