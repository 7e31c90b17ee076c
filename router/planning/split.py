"""Splitting a selection between subgraphs that share the fields leading to it.

A mixin of the planner. When the subgraph fetching some objects lacks a
field, and the objects have no key another subgraph could fetch them by
(a value type, a root field, a type without a key), the planner climbs back
up the path it came by to the nearest place where another subgraph can be
entered: the operation's root (a second root fetch) or an ancestor entity
with a usable key there (a "parent entity" jump). From there it takes the
same path, with the same aliases and arguments, in that subgraph, and asks
for the missing field at its end. The answers merge by response key.
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    GraphQLCompositeType,
    GraphQLObjectType,
    get_named_type,
)

from router.planning.errors import PlanningError
from router.planning.jumps import Jumps
from router.planning.plan import LIST, type_condition
from router.planning.position import Position, Step, field_directives
from router.planning.selections import alias_of, list_depth
from router.planning.tree import SelectionTree
from router.supergraph.model import FieldSource


class SplitSelections(Jumps):
    def _plan_elsewhere(
        self,
        position: Position,
        parent: GraphQLCompositeType,
        field_node: FieldNode,
        sources: dict[str, FieldSource],
    ) -> None:
        """Plans `field_node` by the same path in a subgraph that resolves it."""
        current = position.group.graph
        graphs = sorted(g for g, s in sources.items() if g != current and s.requires is None)
        steps: list[Step] = []
        at: Position | None = position
        at_type = parent
        while at is not None:
            for graph in graphs:
                if not self._path_in(graph, steps):
                    continue
                start = self._enter(at, at_type, graph, position)
                if start is None:
                    continue
                self._plan_field(self._walk_down(start, steps), parent, field_node)
                return
            if at.step is None:
                break
            steps.insert(0, at.step)
            at_type = at.step[0]
            at = at.up
        service = self.supergraph.graphs[current].name
        raise PlanningError(
            f"{parent.name}.{field_node.name.value} cannot be reached from subgraph "
            f"'{service}': no subgraph resolving it can be entered on the way there"
        )

    def _path_in(self, graph: str, steps: list[Step]) -> bool:
        """Whether `graph` resolves every step of the path itself."""
        for parent, step in steps:
            if isinstance(step, GraphQLObjectType):
                if step not in self.capabilities.possible_in_graph(parent, graph):
                    return False
                continue
            source = self.capabilities.sources(parent.name, step.name.value).get(graph)
            if source is None or source.requires is not None:
                return False
        return True

    def _enter(
        self, at: Position, at_type: GraphQLCompositeType, graph: str, asking: Position
    ) -> Position | None:
        """A position in `graph` for the objects at `at`, or None when it cannot be entered."""
        if at.up is None and not at.group.is_entity:
            if self.operation.operation.value == "mutation":
                return None  # a mutation field runs once, in one subgraph
            group = next((g for g in self.registry.root_groups() if g.graph == graph), None)
            if group is None:
                group = self.registry.new_group(graph, (), entity=False)
            return Position(group, group.tree, (), None, asking.conditions)
        if not isinstance(at_type, GraphQLObjectType):
            return None
        if not self.supergraph.type(at_type.name).resolvable_keys(graph):
            return None
        # The same objects may be known earlier in the plan: jumping from there
        # lets the new fetch run beside the one it splits from.
        for source in (at.origin, at):
            if source is None or source.group.graph == graph:
                continue
            try:
                return self._jump(source, at_type, graph, None, None)
            except PlanningError:
                continue
        return None

    def _walk_down(self, start: Position, steps: list[Step]) -> Position:
        position = start
        for parent, step in steps:
            if isinstance(step, GraphQLObjectType):
                position.tree.add_field("__typename")
                position = Position(
                    position.group,
                    position.tree.fragment(step.name),
                    (*position.path, type_condition(step.name)),
                    None,
                    position.conditions,
                    position.directives,
                    position.hops,
                    up=position,
                    step=(parent, step),
                )
                continue
            # Each step is a field selected on an object or interface.
            field_type = parent.fields[step.name.value].type  # type: ignore[union-attr]
            selection = position.tree.add_field(
                step.name.value,
                alias_of(step),
                tuple(step.arguments or ()),
                field_directives(step, position),
                composite=True,
            )
            self.registry.touch(position.group, position.conditions)
            children = selection.children or SelectionTree()  # composite=True made them
            if not isinstance(get_named_type(field_type), GraphQLObjectType):
                # Objects of an abstract type say which type they are in every answer.
                children.add_field("__typename")
            key = alias_of(step) or step.name.value
            position = Position(
                position.group,
                children,
                (*position.path, key, *[LIST] * list_depth(field_type)),
                None,
                position.conditions,
                (),
                position.hops,
                up=position,
                step=(parent, step),
            )
        return position
