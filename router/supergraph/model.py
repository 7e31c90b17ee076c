"""What the planner needs to know of a supergraph, read once from its join directives.

Types and fields are keyed by name. Graphs are keyed by their `join__Graph`
enum value (e.g. `USERS`), which is how join directives name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import FieldNode, GraphQLSchema, SelectionSetNode

from graphql_budget.directives import CostDirectives


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

    def resolvable(self, labels: frozenset[str] = frozenset()) -> bool:
        """Whether this graph serves the field, given the active progressive-override labels.

        With a label, the overriding graph serves the field while the label is
        active and the overridden graph serves it otherwise.
        """
        if self.external or self.used_overridden:
            return False
        if self.override_label is None:
            return True
        active = self.override_label in labels
        return active if self.override_from is not None else not active


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

    def key_fields(self, graph: str) -> frozenset[str]:
        """Top-level fields of the keys `graph` declares for this type.

        A subgraph returns them with every object it returns, also where the
        supergraph marks them external (`@extends` types, composed by other
        tools): an entity reference is nothing but its key.
        """
        return frozenset(
            selection.name.value
            for key in self.keys
            if key.graph == graph
            for selection in key.selection_set.selections
            if isinstance(selection, FieldNode)
        )

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
    costs: CostDirectives = field(default_factory=CostDirectives)  # the cost spec's, if any

    def type(self, name: str) -> TypeMeta:
        return self.types[name]

    def field_sources(
        self, type_name: str, field_name: str, labels: frozenset[str] = frozenset()
    ) -> dict[str, FieldSource]:
        """Every graph that can resolve `type_name.field_name`, with how."""
        meta = self.types.get(type_name)
        if meta is None:
            return {}
        field_meta = meta.fields.get(field_name)
        if field_meta is not None and field_meta.from_interface_object:
            return {}
        if field_meta is None or not field_meta.sources:
            return {graph: FieldSource(graph) for graph in meta.graphs}
        return {
            g: s
            for g, s in field_meta.sources.items()
            if s.resolvable(labels) or (s.external and field_name in meta.key_fields(g))
        }

    @property
    def override_labels(self) -> frozenset[str]:
        """Every progressive-override label the supergraph uses."""
        return frozenset(
            source.override_label
            for meta in self.types.values()
            for field_meta in meta.fields.values()
            for source in field_meta.sources.values()
            if source.override_label is not None
        )
