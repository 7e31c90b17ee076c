"""Selections on interfaces and unions: kept on the abstract type, or narrowed per object.

A mixin of the planner. A selection on an abstract type stays on it in the
current fetch when that subgraph resolves every field for every possible
object type; otherwise it is split per object type, since jumps to other
subgraphs work per type. An `@interfaceObject` subgraph knows the interface
as one object type: its own fields stay there, the rest come from a subgraph
that knows the real types.
"""

from __future__ import annotations

from dataclasses import replace

from graphql import (
    FieldNode,
    GraphQLCompositeType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    SelectionNode,
    SelectionSetNode,
)

from router.planning.errors import PlanningError
from router.planning.jumps import Jumps
from router.planning.plan import type_condition
from router.planning.position import Position
from router.planning.selections import Directives, provided_under, selection_conditions


class AbstractSelections(Jumps):
    def _plan_abstract(
        self, position: Position, parent: GraphQLCompositeType, selection_set: SelectionSetNode
    ) -> None:
        graph = position.group.graph
        meta = self.supergraph.types.get(parent.name)
        if meta is not None and graph in meta.interface_object_in:
            self._plan_interface_object(position, parent, selection_set)
            return
        # Which object each result is decides which fragments apply to it: always ask.
        position.tree.add_field("__typename")
        possible = self.capabilities.possible_in_graph(parent, graph)
        if position.step is not None and isinstance(position.step[1], FieldNode):
            owner, field_node = position.step[0], position.step[1]
            possible = self.capabilities.possible_below(owner, field_node.name.value, parent, graph)
        direct = list(self.fragments.fields(parent, selection_set, position.directives))
        if all(self._keeps_on_abstract(parent, f, possible, graph, position) for f, _ in direct):
            for field_node, directives in direct:
                self._plan_direct(position, parent, field_node, directives)
            narrowed = self.fragments.narrowing(parent, selection_set, position.directives)
        else:
            # Some field needs a jump, and jumps work per object type: select
            # for every possible type separately.
            narrowed = [(p, selection_set, position.directives) for p in possible]
        for object_type, selections, directives in narrowed:
            if object_type not in possible:
                continue  # this subgraph never returns such objects here
            typed = replace(
                position,
                tree=position.tree.fragment(object_type.name),
                path=(*position.path, type_condition(object_type.name)),
                directives=directives,
                up=position,
                step=(parent, object_type),
                origin=None,
            )
            self._plan_selection_set(typed, object_type, selections)

    def _plan_direct(
        self,
        position: Position,
        parent: GraphQLCompositeType,
        field_node: FieldNode,
        directives: Directives,
    ) -> None:
        """A field kept on the abstract type itself, in the current fetch."""
        conditions = selection_conditions(field_node.directives, directives)
        if conditions is None:
            return
        here = replace(position, directives=directives, conditions=position.conditions | conditions)
        if field_node.name.value == "__typename":
            self._plan_field(here, parent, field_node)
            return
        provided = provided_under(position.provided, field_node.name.value)
        self._add_local(here, parent, field_node, None, provided)

    def _plan_interface_object(
        self, position: Position, parent: GraphQLCompositeType, selection_set: SelectionSetNode
    ) -> None:
        """This subgraph knows the interface as one object type (@interfaceObject).

        Its objects come back with the interface's name as __typename. Fields it
        resolves stay here; the real type, type conditions and other fields come
        from a subgraph where the interface is a keyed interface.
        """
        graph = position.group.graph
        meta = self.supergraph.type(parent.name)
        rest: list[SelectionNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode) and selection.name.value != "__typename":
                sources = self.capabilities.sources(parent.name, selection.name.value)
                source = sources.get(graph)
                if source is not None and source.requires is None:
                    self._plan_direct(position, parent, selection, position.directives)
                    continue
                # Another @interfaceObject subgraph that has the field is asked
                # directly, by the interface's name: the owner need not say
                # which type each object is for that.
                siblings = sorted(g for g in sources if g in meta.interface_object_in)
                if siblings:
                    self._plan_in_sibling(position, parent, selection, siblings[0])
                    continue
            rest.append(selection)
        if not rest:
            return
        targets = [
            g for g in meta.graphs if g not in meta.interface_object_in and meta.resolvable_keys(g)
        ]
        if not targets:
            raise PlanningError(f"no subgraph resolves the object types behind {parent.name}")
        entity = self._jump(position, parent, targets[0], None, None)
        self._plan_abstract(entity, parent, SelectionSetNode(selections=tuple(rest)))

    def _plan_in_sibling(
        self, position: Position, parent: GraphQLCompositeType, field_node: FieldNode, graph: str
    ) -> None:
        conditions = selection_conditions(field_node.directives, position.directives)
        if conditions is None:
            return
        here = replace(position, conditions=position.conditions | conditions)
        source = self.capabilities.sources(parent.name, field_node.name.value)[graph]
        entity = self._jump(here, parent, graph, parent.name, source.requires)
        self._add_local(entity, parent, field_node, source.provides)

    def _keeps_on_abstract(
        self,
        parent: GraphQLCompositeType,
        field_node: FieldNode,
        possible: list[GraphQLObjectType],
        graph: str,
        position: Position,
    ) -> bool:
        name = field_node.name.value
        if name == "__typename":
            return True
        if not isinstance(parent, GraphQLInterfaceType):
            return False
        if provided_under(position.provided, name) is not None:
            return True
        own = self.capabilities.sources(parent.name, name).get(graph)
        if own is None or own.requires is not None:
            return False
        for object_type in possible:
            source = self.capabilities.sources(object_type.name, name).get(graph)
            if source is None or source.requires is not None:
                return False
        return True
