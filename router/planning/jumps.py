"""Jumps: an `_entities` fetch to another subgraph for the objects at a position.

A mixin of the planner. The target is a subgraph resolving the field that can
fetch the parent by key: preferably one already fetching at that path, then
one whose key the current fetch gives. The current fetch asks for
`__typename` and the key (under a private alias when a client alias took its
name); keys it cannot give, and @requires fields, are planned like client
fields first and travel in the representations.
"""

from __future__ import annotations

from dataclasses import replace

from graphql import GraphQLCompositeType, SelectionSetNode

from router.planning.errors import PlanningError
from router.planning.groups import FetchGroup
from router.planning.position import Position
from router.planning.requirements import requirement
from router.planning.selections import base_path
from router.planning.walk import Walk
from router.supergraph.model import FieldSource

MAX_KEY_HOPS = 3


class Jumps(Walk):
    def _jump_target(
        self,
        position: Position,
        parent: GraphQLCompositeType,
        name: str,
        sources: dict[str, FieldSource],
    ) -> tuple[str, str | None] | None:
        """The subgraph to fetch `parent.name` from, and the typename it knows the parent by.

        None: no subgraph resolving the field can fetch the parent by key.
        """
        if not sources:
            for interface in getattr(parent, "interfaces", ()):
                meta = self.supergraph.types.get(interface.name)
                if meta is None:
                    continue
                for graph in sorted(meta.interface_object_in):
                    if graph in self.capabilities.sources(interface.name, name):
                        return graph, interface.name
            raise PlanningError(f"no subgraph resolves {parent.name}.{name}")
        current = position.group.graph
        candidates = sorted(sources, key=lambda g: (g != current, g))
        # Preferred first: a subgraph already fetching here, then one whose key
        # the current fetch gives, then any with a key; the rest are alternatives.
        ordered = [
            *(
                g
                for g in candidates
                if self.registry.has_entity_group(g, base_path(position.path), position.group)
            ),
            *(
                g
                for g in candidates
                if self.capabilities.direct_key(parent.name, g, current, position.provided)
            ),
            *(g for g in candidates if self.supergraph.type(parent.name).resolvable_keys(g)),
        ]
        if not ordered:
            return None
        point = ("jump", position.path, parent.name, name)
        return self.choices.pick(point, list(dict.fromkeys(ordered))), None

    def _service(self, graph: str) -> str:
        return self.supergraph.graphs[graph].name

    def _interface_source(
        self, parent: GraphQLCompositeType, name: str, graph: str
    ) -> FieldSource | None:
        for interface in getattr(parent, "interfaces", ()):
            source = self.capabilities.sources(interface.name, name).get(graph)
            if source is not None:
                return source
        return None

    def _jump(
        self,
        position: Position,
        parent: GraphQLCompositeType,
        target: str,
        rename: str | None,
        requires: SelectionSetNode | None,
    ) -> Position:
        """An `_entities` fetch to `target` for the objects at this position."""
        keyed_type = rename or parent.name
        current = position.group.graph
        key = self.capabilities.direct_key(keyed_type, target, current, position.provided)
        producers: set[FetchGroup] = {position.group}
        position.tree.add_field("__typename")
        if key is None:
            keys = self.supergraph.type(keyed_type).resolvable_keys(target)
            if not keys or position.hops >= MAX_KEY_HOPS:
                raise PlanningError(
                    f"{parent.name} cannot be fetched from subgraph '{self._service(target)}': "
                    f"subgraph '{self._service(current)}' gives none of its keys there"
                )
            key = keys[0]
            producers |= self._ensure(
                replace(position, hops=position.hops + 1), parent, key.selection_set
            )
            key_read = key.selection_set
        else:
            key_read = position.tree.add_hidden(key.selection_set)
        needed = requirement(requires, self.client_aliases) if requires is not None else None
        if needed is not None:
            producers |= self._ensure(position, parent, needed.fetched)
        read = needed.read if needed is not None else None
        entity = self.registry.entity_group(
            target,
            base_path(position.path),
            position.group,
            rename,
            producers,
            (parent.name, read),
        )
        for producer in producers:
            entity.depend_on(producer)
        representation = entity.requires.fragment(parent.name)
        representation.add_field("__typename")
        representation.add_selection_set(key_read)
        if read is not None:
            representation.add_selection_set(read)
        return Position(
            entity,
            entity.tree.fragment(keyed_type),
            position.path,
            None,
            position.conditions,
            position.directives,
            position.hops,
            up=position.up,
            step=position.step,
            origin=position.origin or position,
        )

    def _ensure(
        self, position: Position, parent: GraphQLCompositeType, fields: SelectionSetNode
    ) -> set[FetchGroup]:
        """Plans `fields` as if the client asked for them; the groups that fetch them."""
        with self.registry.tracking() as touched:
            self._plan_selection_set(replace(position, directives=()), parent, fields)
        return touched
