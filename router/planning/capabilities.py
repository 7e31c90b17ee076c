"""What each subgraph can resolve: the questions the planner asks before choosing a fetch."""

from __future__ import annotations

from graphql import (
    FieldNode,
    GraphQLCompositeType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    SelectionSetNode,
    get_named_type,
)

from router.planning.selections import Fragments, provided_under
from router.supergraph.model import FieldSource, Key, Supergraph


class Capabilities:
    """The supergraph's ownership, seen with the progressive-override labels of one request."""

    def __init__(
        self, supergraph: Supergraph, labels: frozenset[str], fragments: Fragments
    ) -> None:
        self.supergraph = supergraph
        self.schema = supergraph.schema
        self.labels = labels
        self.fragments = fragments

    def sources(self, type_name: str, field_name: str) -> dict[str, FieldSource]:
        return self.supergraph.field_sources(type_name, field_name, self.labels)

    def possible_in_graph(
        self, abstract: GraphQLCompositeType, graph: str
    ) -> list[GraphQLObjectType]:
        """Object types a subgraph may return where it returns `abstract`."""
        meta = self.supergraph.types.get(abstract.name)
        if isinstance(abstract, GraphQLUnionType):
            members = meta.union_members.get(graph, frozenset()) if meta else frozenset()
            return [t for t in abstract.types if t.name in members]
        possible = self.schema.get_possible_types(abstract)  # type: ignore[arg-type]  # unions returned above: an interface
        return [
            t
            for t in possible
            if abstract.name in self.supergraph.types[t.name].implements.get(graph, frozenset())
        ]

    def possible_below(
        self,
        owner: GraphQLCompositeType,
        field_name: str,
        abstract: GraphQLCompositeType,
        graph: str,
    ) -> list[GraphQLObjectType]:
        """Object types `owner.field_name` may return in `graph`, as all its subgraphs agree.

        A shared field answers the same in every subgraph serving it, so its
        objects can only be of types all of them know; type conditions on the
        others select nothing, as in Apollo's planner. (@interfaceObject
        subgraphs know no implementations and have no say.)
        """
        sources = self.sources(owner.name, field_name)
        if graph not in sources:
            return self.possible_in_graph(abstract, graph)
        meta = self.supergraph.types.get(abstract.name)
        blind = meta.interface_object_in if meta else frozenset()
        possible = self._possible_for(owner, field_name, abstract, graph)
        for other in sources:
            if other != graph and other not in blind:
                known = self._possible_for(owner, field_name, abstract, other)
                possible = [t for t in possible if t in known]
        return possible

    def _possible_for(
        self,
        owner: GraphQLCompositeType,
        field_name: str,
        abstract: GraphQLCompositeType,
        graph: str,
    ) -> list[GraphQLObjectType]:
        source = self.sources(owner.name, field_name).get(graph)
        own = self.schema.get_type(source.type.strip("[]!")) if source and source.type else None
        if isinstance(own, GraphQLObjectType):
            return [own]  # the subgraph types the field as one object type
        return self.possible_in_graph(abstract, graph)

    def best_graph(
        self, graphs: list[str], parent: GraphQLObjectType, field_node: FieldNode
    ) -> str:
        """The graph resolving most of the field's own selections (fewest jumps)."""
        if len(graphs) == 1 or field_node.selection_set is None:
            return graphs[0]
        field_type = get_named_type(parent.fields[field_node.name.value].type)
        selections = field_node.selection_set  # bound here, where it is known not None

        def local(graph: str) -> int:
            count = 0
            for sub, _ in self.fragments.fields(field_type, selections, ()):
                if sub.name.value == "__typename":
                    continue  # every subgraph answers it
                if graph in self.sources(field_type.name, sub.name.value):
                    count += 1
            return count

        return max(graphs, key=lambda g: (local(g), -graphs.index(g)))

    def servable(
        self,
        graph: str,
        parent: GraphQLCompositeType,
        field_node: FieldNode,
        provided: SelectionSetNode | None,
    ) -> bool:
        """Whether `graph` can give the field's whole selection, jumping only from entities.

        A value type has no key to jump from: when the current graph lacks some
        of its fields (a @provides naming only part of them, say), the field
        must come from a graph that has them all.
        """
        if field_node.selection_set is None:
            return True
        # A field is only selected on an object or interface, which have fields.
        named = get_named_type(parent.fields[field_node.name.value].type)  # type: ignore[union-attr]
        if isinstance(named, GraphQLObjectType):
            objects = [named]
        elif isinstance(named, (GraphQLInterfaceType, GraphQLUnionType)):
            objects = self.possible_in_graph(named, graph)
        else:
            return True
        for object_type in objects:
            for child, _ in self.fragments.fields(object_type, field_node.selection_set, ()):
                name = child.name.value
                if name == "__typename":
                    continue
                own = self.sources(object_type.name, name).get(graph)
                inner = provided_under(provided, name)
                if (own is not None and own.requires is None) or inner is not None:
                    below = own.provides if own and own.provides else inner
                    if not self.servable(graph, object_type, child, below):
                        return False
                elif not self.supergraph.type(object_type.name).is_entity:
                    return False
        return True

    def direct_key(
        self, type_name: str, target: str, current: str, provided: SelectionSetNode | None
    ) -> Key | None:
        """A key of `type_name` in `target` whose fields the current subgraph resolves."""
        for key in self.supergraph.type(type_name).resolvable_keys(target):
            if self.resolves_all(type_name, key.selection_set, current, provided):
                return key
        return None

    def resolves_all(
        self,
        type_name: str,
        selection_set: SelectionSetNode,
        graph: str,
        provided: SelectionSetNode | None,
    ) -> bool:
        parent = self.schema.get_type(type_name)
        for selection in selection_set.selections:
            if not isinstance(selection, FieldNode):
                return False
            name = selection.name.value
            own = self.sources(type_name, name).get(graph)
            inner = provided_under(provided, name)
            if (own is None or own.requires is not None) and inner is None:
                return False
            if selection.selection_set is not None:
                # Object or interface: fields are selected on nothing else.
                field_type = get_named_type(parent.fields[name].type)  # type: ignore[union-attr]
                if field_type is None or not self.resolves_all(
                    field_type.name, selection.selection_set, graph, inner
                ):
                    return False
        return True
