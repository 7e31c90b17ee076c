"""The fetch groups of one plan being made: created, found again for sharing, and tracked.

Entity groups are found again by subgraph, path, parent group and the type
name the subgraph knows the objects by, so sibling fields share one fetch.
A group is shared only when that keeps the group graph acyclic and every
representation key keeps one meaning.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from graphql import SelectionSetNode

from router.planning.groups import Conditions, FetchGroup
from router.planning.plan import PathElement
from router.planning.requirements import conflicts
from router.supergraph.model import Supergraph


class GroupRegistry:
    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.groups: list[FetchGroup] = []
        self._entity_groups: dict[tuple[object, ...], list[FetchGroup]] = {}
        self._tracking: list[set[FetchGroup]] = []

    def new_group(self, graph: str, path: tuple[PathElement, ...], *, entity: bool) -> FetchGroup:
        group = FetchGroup(
            id=len(self.groups),
            graph=graph,
            service=self.supergraph.graphs[graph].name,
            path=path,
            is_entity=entity,
        )
        self.groups.append(group)
        return group

    def root_groups(self) -> list[FetchGroup]:
        return [g for g in self.groups if not g.is_entity]

    def has_entity_group(
        self, graph: str, path: tuple[PathElement, ...], parent: FetchGroup
    ) -> bool:
        return any(
            key[:3] == (graph, path, parent.id) and groups
            for key, groups in self._entity_groups.items()
        )

    def entity_group(
        self,
        graph: str,
        path: tuple[PathElement, ...],
        parent: FetchGroup,
        rename: str | None,
        producers: set[FetchGroup],
        representation: tuple[str, SelectionSetNode | None],
    ) -> FetchGroup:
        """A group fetching entities at `path` from `graph` after `parent` and `producers`.

        `representation` is the type name and the required fields the
        representation will read, to check they fit a group already there.
        """
        type_name, read = representation
        candidates = self._entity_groups.setdefault((graph, path, parent.id, rename), [])
        for group in candidates:
            if read is not None and conflicts(group.requires.fragments.get(type_name), read):
                continue
            if not any(group is p or group in p.ancestors() for p in producers):
                return group
        group = self.new_group(graph, path, entity=True)
        group.rename_typename_to = rename
        group.depend_on(parent)
        candidates.append(group)
        return group

    def touch(self, group: FetchGroup, conditions: Conditions) -> None:
        """A selection landed in `group`, under `conditions`."""
        group.narrow_conditions(conditions)
        for touched in self._tracking:
            touched.add(group)

    @contextmanager
    def tracking(self) -> Iterator[set[FetchGroup]]:
        """The groups touched inside the block (they produce what the block planned)."""
        touched: set[FetchGroup] = set()
        self._tracking.append(touched)
        try:
            yield touched
        finally:
            self._tracking.pop()
