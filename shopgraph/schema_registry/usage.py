"""Which operations use a schema coordinate: from trusted documents and the usage log.

An operation uses the fields and arguments it selects, every type it names
or reaches (field and argument types, fragment conditions, variable types),
every field of the input types it can send, and the directives it applies.
The router's usage log (insights' ClickHouse, `shopgraph.schema_registry.
clickhouse_usage`) plugs in as a `UsageLog`. Its records name the operation,
client, document hash and the fields and arguments used (`Type.field`,
`Type.field(arg:)`); the types those reach are added here from the schema.
Records from before the router sent coordinates have none: their coordinates
come from the trusted document with that hash, and one whose document is not
registered cannot be placed and is listed as `unresolved`.
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


class UsageLogUnreachable(Exception):
    """The usage log could not be read: a usage error (exit 2), not a failed check."""


@dataclass(frozen=True, order=True)
class SeenOperation:
    """One operation of one client (name and version) that the routers served."""

    client: str
    operation: str
    document_hash: str  # SHA-256 hex of the document, as trusted documents are named
    coordinates: frozenset[str] | None = None  # None: the log does not record them


class UsageLog(Protocol):
    """Operations the routers served in the last `days` days."""

    def seen_operations(self, days: int) -> list[SeenOperation]: ...


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


def reached(schema: GraphQLSchema, used: frozenset[str]) -> frozenset[str]:
    """`used` (fields and arguments) plus the types they belong to and return or take."""
    found = set(used)
    for coordinate in used:
        owner, _, rest = coordinate.partition(".")
        name, _, argument = rest.removesuffix(":)").partition("(")
        parent = schema.get_type(owner)
        found.add(owner)
        field = getattr(parent, "fields", {}).get(name) if parent is not None else None
        if field is None or (argument and argument not in field.args):
            continue
        reached_type = field.args[argument].type if argument else field.type
        found.add(get_named_type(reached_type).name)
    return frozenset(found)


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
        by_hash: dict[str, frozenset[str]] = {}
        for document in documents:
            parsed = parse_document(document)
            if isinstance(parsed, DocumentNode):
                use = OperationUse(document.client, document.name, "trusted document")
                self._uses[use] = by_hash[document.hash] = coordinates_of(schema, parsed)
        self.unresolved: tuple[SeenOperation, ...] = ()
        if log is not None:
            unresolved: list[SeenOperation] = []
            for seen in log.seen_operations(days):
                used = seen.coordinates and reached(schema, seen.coordinates)
                if not used:
                    used = by_hash.get(seen.document_hash.removeprefix("sha256:"))
                if used is None:
                    unresolved.append(seen)
                    continue
                use = OperationUse(seen.client, seen.operation, "usage log")
                self._uses[use] = self._uses.get(use, frozenset()) | used
            self.unresolved = tuple(sorted(set(unresolved)))

    def operations_using(self, coordinate: str) -> list[OperationUse]:
        return sorted(use for use, used in self._uses.items() if coordinate in used)
