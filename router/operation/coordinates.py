"""The schema coordinates an operation uses, for the router's usage log.

`Type.field` for every field selected (fragments followed once) and
`Type.field(arg:)` for every argument given; introspection and `__typename`
are left out. They depend on the document alone, so they are computed once and
kept on the `PreparedOperation`, not per request.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ArgumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    visit,
)

from router.operation.prepared import PreparedOperation


class _Collector(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.found: set[str] = set()
        self.spread: list[str] = []
        self.fields: list[str | None] = []  # the coordinate of each enclosing field

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        parent = self.type_info.get_parent_type()
        name = node.name.value
        coordinate = None
        owner = get_named_type(parent).name if parent is not None else "__"
        # Introspection (`__schema`, `__Type.fields`, `__typename`) is no schema coordinate.
        if not name.startswith("__") and not owner.startswith("__"):
            coordinate = f"{owner}.{name}"
            self.found.add(coordinate)
        self.fields.append(coordinate)

    def leave_field(self, *_: Any) -> None:
        self.fields.pop()

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        # Directive arguments (@include(if:)) are not the schema's fields.
        if self.type_info.get_directive() is None and self.fields and self.fields[-1]:
            self.found.add(f"{self.fields[-1]}({node.name.value}:)")

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.spread.append(node.name.value)


def field_coordinates(schema: GraphQLSchema, prepared: PreparedOperation) -> tuple[str, ...]:
    """The sorted coordinates `prepared` uses; computed on first use, then kept on it."""
    if prepared.coordinates:
        return prepared.coordinates[0]
    type_info = TypeInfo(schema)
    collector = _Collector(type_info)
    visited: set[str] = set()
    pending: list[Any] = [prepared.operation]
    while pending:
        visit(pending.pop(), TypeInfoVisitor(type_info, collector))
        for name in collector.spread:
            fragment = prepared.fragments.get(name)
            if name not in visited and fragment is not None:
                visited.add(name)
                pending.append(fragment)
        collector.spread.clear()
    found = tuple(sorted(collector.found))
    prepared.coordinates.append(found)
    return found
