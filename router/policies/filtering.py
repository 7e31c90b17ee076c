"""Cutting an operation down to what a caller may see.

`touched` lists the requirements an operation meets at all (once per
operation); `filter_operation` removes every field whose coordinate carries a
denied requirement, with fragments inlined so each removal has one response
path. A selection set left empty keeps `__typename`, so the parent still comes
back (with the removed fields null) and the document stays valid. Paths name
list positions `@`, as Apollo Router does: a removed field inside a list is
reported once, not once per item.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
    print_ast,
)

from router.policies.requirements import AccessRules, Coordinate, Requirement

PathKey = str  # a response key, or "@" for a list position
ErrorPath = tuple[PathKey, ...]
TYPENAME = FieldNode(name=NameNode(value="__typename"))


@dataclass(frozen=True, slots=True)
class FilteredOperation:
    document: DocumentNode
    operation: OperationDefinitionNode
    removed: tuple[ErrorPath, ...]


def touched(
    schema: GraphQLSchema,
    rules: AccessRules,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> frozenset[Requirement]:
    """Every requirement some field the operation selects carries."""
    found: set[Requirement] = set()

    def deny(coordinate: Coordinate) -> bool:
        found.update(rules.fields.get(coordinate, ()))
        return False

    _Walker(schema, fragments, deny).operation(operation)
    return frozenset(found)


def filter_operation(
    schema: GraphQLSchema,
    rules: AccessRules,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    denied: frozenset[Requirement],
) -> FilteredOperation:
    def deny(coordinate: Coordinate) -> bool:
        return not denied.isdisjoint(rules.fields.get(coordinate, ()))

    walker = _Walker(schema, fragments, deny)
    cut = walker.operation(operation)
    return FilteredOperation(DocumentNode(definitions=(cut,)), cut, tuple(walker.removed))


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        deny: Callable[[Coordinate], bool],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.deny = deny
        self.removed: list[ErrorPath] = []

    def operation(self, operation: OperationDefinitionNode) -> OperationDefinitionNode:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return operation
        return OperationDefinitionNode(
            operation=operation.operation,
            name=operation.name,
            variable_definitions=operation.variable_definitions,
            directives=operation.directives,
            selection_set=self._nonempty(self._selections(operation.selection_set, root, ())),
        )

    def _selections(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType,
        path: ErrorPath,
        seen: set[tuple[str, ...]] | None = None,
        context: tuple[str, ...] = (),
    ) -> list[SelectionNode]:
        """The selections kept, fragments inlined.

        `seen` holds the fragments already inlined in this field's selections,
        under the enclosing fragments' conditions (`context`): a second spread
        there adds nothing, and skipping it keeps doubling fragments linear.
        """
        seen = set() if seen is None else seen
        kept: list[SelectionNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                field = self._field(selection, parent, path)
                if field is not None:
                    kept.append(field)
                continue
            if isinstance(selection, FragmentSpreadNode):
                definition = self.fragments[selection.name.value]
                condition: NamedTypeNode | None = definition.type_condition
                inner_set = definition.selection_set
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner_set = selection.selection_set
            else:
                continue
            inner_context = (
                *context,
                condition.name.value if condition else "",
                *(print_ast(d) for d in selection.directives or ()),
            )
            if isinstance(selection, FragmentSpreadNode):
                spread = (selection.name.value, *inner_context)
                if spread in seen:
                    continue
                seen.add(spread)
            inner_type = self.schema.get_type(condition.name.value) if condition else parent
            if inner_type is None:
                continue
            inner = self._selections(inner_set, inner_type, path, seen, inner_context)
            if inner:
                kept.append(
                    InlineFragmentNode(
                        type_condition=condition,
                        directives=selection.directives,
                        selection_set=SelectionSetNode(selections=tuple(inner)),
                    )
                )
        return kept

    def _field(
        self, node: FieldNode, parent: GraphQLNamedType, path: ErrorPath
    ) -> FieldNode | None:
        name = node.name.value
        key = node.alias.value if node.alias else name
        if self.deny((parent.name, name)):
            self.removed.append((*path, key))
            return None
        if node.selection_set is None:
            return node
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(name)
        if definition is None:
            return node  # introspection and other fields the router answers itself
        inner_path = (*path, key, *_list_positions(definition.type))
        inner = self._selections(node.selection_set, get_named_type(definition.type), inner_path)
        return FieldNode(
            alias=node.alias,
            name=node.name,
            arguments=node.arguments,
            directives=node.directives,
            selection_set=self._nonempty(inner),
        )

    @staticmethod
    def _nonempty(selections: list[SelectionNode]) -> SelectionSetNode:
        return SelectionSetNode(selections=tuple(selections or (TYPENAME,)))


def _list_positions(type_: GraphQLOutputType) -> tuple[PathKey, ...]:
    positions: list[PathKey] = []
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        if isinstance(type_, GraphQLList):
            positions.append("@")
        type_ = type_.of_type
    return tuple(positions)
