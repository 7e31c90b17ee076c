"""Which operations use a schema coordinate: from trusted documents, and later the usage log.

An operation uses the fields and arguments it selects, every type it names
or reaches (field and argument types, fragment conditions, variable types),
every field of the input types it can send, and the directives it applies.
The router's usage log (insights' ClickHouse) plugs in as a `UsageLog`; until
it lands, trusted documents alone decide whether a breaking change matters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    ObjectFieldNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableDefinitionNode,
    Visitor,
    get_named_type,
    type_from_ast,
    visit,
)

from shopgraph.schema_registry.operations import TrustedDocument, parse_document


@dataclass(frozen=True, order=True)
class OperationUse:
    client: str
    operation: str
    source: str  # "trusted document" or "usage log"


class UsageLog(Protocol):
    """Operations the routers served in the last `days` days, with the coordinates each used."""

    def used_coordinates(self, days: int) -> dict[OperationUse, frozenset[str]]: ...


class _Collector(Visitor):
    def __init__(self, schema: GraphQLSchema, type_info: TypeInfo) -> None:
        super().__init__()
        self.schema = schema
        self.type_info = type_info
        self.found: set[str] = set()
        self.fields: list[str | None] = []  # the coordinate of each field being visited

    def _named(self, named: GraphQLNamedType | None) -> None:
        if named is None or named.name in self.found:
            return
        self.found.add(named.name)
        if isinstance(named, GraphQLInputObjectType):
            for field_name, field in named.fields.items():
                self.found.add(f"{named.name}.{field_name}")
                self._named(get_named_type(field.type))

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        parent = self.type_info.get_parent_type()
        coordinate = f"{parent.name}.{node.name.value}" if parent is not None else None
        self.fields.append(coordinate)
        if parent is not None and coordinate is not None:
            self.found.update((parent.name, coordinate))
        field_type = self.type_info.get_type()
        self._named(get_named_type(field_type) if field_type else None)

    def leave_field(self, *_: Any) -> None:
        self.fields.pop()

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        directive = self.type_info.get_directive()
        if directive is not None:
            self.found.add(f"@{directive.name}({node.name.value}:)")
        elif self.fields and self.fields[-1] is not None:
            self.found.add(f"{self.fields[-1]}({node.name.value}:)")
        arg_type = self.type_info.get_input_type()
        self._named(get_named_type(arg_type) if arg_type else None)

    def enter_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
        parent = self.type_info.get_parent_input_type()
        named = get_named_type(parent) if parent else None
        if named is not None:
            self.found.add(f"{named.name}.{node.name.value}")

    def enter_inline_fragment(self, node: InlineFragmentNode, *_: Any) -> None:
        if node.type_condition is not None:
            self.found.add(node.type_condition.name.value)

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
        self.found.add(node.type_condition.name.value)

    def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> None:
        variable_type = type_from_ast(self.schema, node.type)
        self._named(get_named_type(variable_type) if variable_type else None)

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        self.found.add(f"@{node.name.value}")


def coordinates_of(schema: GraphQLSchema, document: DocumentNode) -> frozenset[str]:
    """Every coordinate of `schema` that `document` uses (unknown parts are skipped)."""
    type_info = TypeInfo(schema)
    collector = _Collector(schema, type_info)
    visit(document, TypeInfoVisitor(type_info, collector))
    return frozenset(collector.found)


class Usage:
    """Who uses what: trusted documents read against the published schema, plus a usage log."""

    def __init__(
        self,
        schema: GraphQLSchema,
        documents: Iterable[TrustedDocument],
        log: UsageLog | None = None,
        days: int = 30,
    ) -> None:
        self._uses: dict[OperationUse, frozenset[str]] = {}
        for document in documents:
            parsed = parse_document(document)
            if isinstance(parsed, DocumentNode):
                use = OperationUse(document.client, document.name, "trusted document")
                self._uses[use] = coordinates_of(schema, parsed)
        if log is not None:
            self._uses.update(log.used_coordinates(days))

    def operations_using(self, coordinate: str) -> list[OperationUse]:
        return sorted(use for use, used in self._uses.items() if coordinate in used)
