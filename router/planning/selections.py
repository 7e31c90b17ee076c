"""Reading a client's selections: fragments flattened or narrowed, conditions, @provides."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
    print_ast,
)

from router.planning.groups import Conditions
from router.planning.plan import PathElement

Directives = tuple[DirectiveNode, ...]
SpreadKey = tuple[str, tuple[str, ...]]  # fragment name, conditions printed


class Fragments:
    """The operation's fragments, applied to a parent type."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments

    def fields(
        self,
        parent: GraphQLCompositeType,
        selection_set: SelectionSetNode,
        directives: Directives,
        seen: set[SpreadKey] | None = None,
    ) -> Iterator[tuple[FieldNode, Directives]]:
        """Fields selected on `parent` itself, with fragments that always apply flattened in.

        A fragment spread again under the same conditions adds nothing new, so
        it is expanded once: a document of fragments that each spread the one
        before twice costs its length here, not two to the power of it.
        """
        seen = set() if seen is None else seen
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, directives
                continue
            condition, selections, extra = self.fragment(selection)
            if isinstance(selection, FragmentSpreadNode):
                spread = spread_key(selection.name.value, combined(directives, extra))
                if spread in seen:
                    continue
                seen.add(spread)
            if condition is None or condition == parent.name or self.contains(condition, parent):
                yield from self.fields(parent, selections, combined(directives, extra), seen)

    def narrowing(
        self,
        parent: GraphQLCompositeType,
        selection_set: SelectionSetNode,
        directives: Directives,
        seen: set[SpreadKey] | None = None,
    ) -> list[tuple[GraphQLObjectType, SelectionSetNode, Directives]]:
        """Fragments that narrow an abstract parent, as (object type, selections) pairs.

        Each fragment counts once per set of conditions, as in `fields`.
        """
        seen = set() if seen is None else seen
        found: list[tuple[GraphQLObjectType, SelectionSetNode, Directives]] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                continue
            condition, selections, extra = self.fragment(selection)
            if isinstance(selection, FragmentSpreadNode):
                spread = spread_key(selection.name.value, combined(directives, extra))
                if spread in seen:
                    continue
                seen.add(spread)
            if condition is None or condition == parent.name:
                found += self.narrowing(parent, selections, combined(directives, extra), seen)
                continue
            target = self.schema.get_type(condition)
            if isinstance(target, GraphQLObjectType):
                objects: list[GraphQLObjectType] = [target]
            elif isinstance(target, (GraphQLInterfaceType, GraphQLUnionType)):
                objects = list(self.schema.get_possible_types(target))
            else:
                continue
            for object_type in objects:
                found.append((object_type, selections, combined(directives, extra)))
        return found

    def fragment(self, selection: object) -> tuple[str | None, SelectionSetNode, Directives]:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            return condition, selection.selection_set, tuple(selection.directives or ())
        assert isinstance(selection, FragmentSpreadNode)
        definition = self.fragments[selection.name.value]
        return (
            definition.type_condition.name.value,
            definition.selection_set,
            tuple(selection.directives or ()),
        )

    def contains(self, abstract_name: str, parent: GraphQLCompositeType) -> bool:
        abstract = self.schema.get_type(abstract_name)
        return (
            isinstance(parent, GraphQLObjectType)
            and isinstance(abstract, (GraphQLInterfaceType, GraphQLUnionType))
            and self.schema.is_sub_type(abstract, parent)
        )


def combined(directives: Directives, extra: Directives) -> Directives:
    """Enclosing conditions and a fragment's own, each once: a condition repeated adds nothing."""
    if not extra:
        return directives
    present = {print_ast(d) for d in directives}
    return directives + tuple(d for d in extra if print_ast(d) not in present)


def spread_key(name: str, directives: Directives) -> SpreadKey:
    """What makes two spreads of a fragment the same: its name and the conditions on it.

    Conditions compare printed, since AST nodes compare with their locations.
    """
    return name, tuple(print_ast(d) for d in directives)


def base_path(path: tuple[PathElement, ...]) -> tuple[PathElement, ...]:
    """The path without its final type condition."""
    return path[:-1] if path and path[-1].startswith("|") else path


def alias_of(field_node: FieldNode) -> str | None:
    return field_node.alias.value if field_node.alias else None


def selection_conditions(own: object, inherited: Directives) -> Conditions | None:
    """Variable conditions of a selection; None when a literal @skip/@include excludes it."""
    found: set[tuple[str, bool]] = set()
    # `own` is a node's directives tuple, which graphql-core types loosely.
    for directive in (*(own or ()), *inherited):  # type: ignore[misc]
        if directive.name.value not in ("skip", "include"):
            continue
        include = directive.name.value == "include"
        value = directive.arguments[0].value
        if isinstance(value, BooleanValueNode):
            if value.value != include:
                return None
        elif isinstance(value, VariableNode):
            found.add((value.name.value, include))
    return frozenset(found)


def provided_under(provided: SelectionSetNode | None, name: str) -> SelectionSetNode | None:
    """The part of a @provides field set under field `name`, if it provides that field."""
    if provided is None:
        return None
    for selection in provided.selections:
        if isinstance(selection, FieldNode) and selection.name.value == name:
            return selection.selection_set or SelectionSetNode(selections=())
        if isinstance(selection, InlineFragmentNode):
            inner = provided_under(selection.selection_set, name)
            if inner is not None:
                return inner
    return None


def list_depth(type_: GraphQLOutputType) -> int:
    depth = 0
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        if isinstance(type_, GraphQLList):
            depth += 1
        type_ = type_.of_type
    return depth
