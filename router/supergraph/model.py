"""What the planner needs to know of a supergraph, read once from its join directives.

Types and fields are keyed by name. Graphs are keyed by their `join__Graph`
enum value (e.g. `USERS`), which is how join directives name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import GraphQLSchema, SelectionSetNode


@dataclass(frozen=True, slots=True)
class Graph:
    id: str  # the join__Graph enum value
    name: str  # the subgraph's own name
    url: str


@dataclass(frozen=True, slots=True)
class Key:
    graph: str
    fields: str
    selection_set: SelectionSetNode
    resolvable: bool


@dataclass(frozen=True, slots=True)
class FieldSource:
    """How one graph knows a field."""

    graph: str
    requires: SelectionSetNode | None = None
    provides: SelectionSetNode | None = None
    external: bool = False
    type: str | None = None  # the field's type in that graph, when it differs
    override_from: str | None = None
    override_label: str | None = None
    used_overridden: bool = False

    @property
    def resolvable(self) -> bool:
        return not self.external and not self.used_overridden


@dataclass(slots=True)
class FieldMeta:
    name: str
    # Graphs that declare the field, with how. Empty: every graph of the type has it.
    sources: dict[str, FieldSource] = field(default_factory=dict)
    # Marked `@join__field` with no graph: no graph of this type resolves it; it
    # comes from an `@interfaceObject` of an interface the type implements.
    from_interface_object: bool = False


@dataclass(slots=True)
class TypeMeta:
    name: str
    graphs: tuple[str, ...] = ()
    keys: tuple[Key, ...] = ()
    interface_object_in: frozenset[str] = frozenset()
    implements: dict[str, frozenset[str]] = field(default_factory=dict)
    union_members: dict[str, frozenset[str]] = field(default_factory=dict)
    enum_values: dict[str, frozenset[str]] = field(default_factory=dict)
    fields: dict[str, FieldMeta] = field(default_factory=dict)

    def resolvable_keys(self, graph: str) -> tuple[Key, ...]:
        return tuple(key for key in self.keys if key.graph == graph and key.resolvable)

    @property
    def is_entity(self) -> bool:
        return any(key.resolvable for key in self.keys)


@dataclass(slots=True)
class Supergraph:
    sdl: str
    schema: GraphQLSchema  # everything, including @inaccessible elements
    api_schema: GraphQLSchema  # what clients see
    graphs: dict[str, Graph]
    types: dict[str, TypeMeta]

    def type(self, name: str) -> TypeMeta:
        return self.types[name]

    def field_sources(self, type_name: str, field_name: str) -> dict[str, FieldSource]:
        """Every graph that can resolve `type_name.field_name`, with how."""
        meta = self.types.get(type_name)
        if meta is None:
            return {}
        field_meta = meta.fields.get(field_name)
        if field_meta is not None and field_meta.from_interface_object:
            return {}
        if field_meta is None or not field_meta.sources:
            return {graph: FieldSource(graph) for graph in meta.graphs}
        return {g: s for g, s in field_meta.sources.items() if s.resolvable}

    def graphs_of(self, type_name: str) -> tuple[str, ...]:
        meta = self.types.get(type_name)
        return meta.graphs if meta else ()

    def graph_by_name(self, name: str) -> Graph:
        for graph in self.graphs.values():
            if graph.name == name:
                return graph
        raise KeyError(name)
