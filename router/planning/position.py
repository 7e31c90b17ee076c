"""Where the planner's walk is: the fetch group, its selections there and what applies below."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import FieldNode, GraphQLCompositeType, GraphQLObjectType, SelectionSetNode

from router.planning.groups import Conditions, FetchGroup
from router.planning.plan import PathElement
from router.planning.selections import Directives
from router.planning.tree import SelectionTree


@dataclass(frozen=True)
class Position:
    """Where the walk is: the group fetching the objects at `path`, and its selections there."""

    group: FetchGroup
    tree: SelectionTree
    path: tuple[PathElement, ...]
    provided: SelectionSetNode | None = None  # what @provides makes local below this point
    conditions: Conditions = frozenset()
    directives: Directives = ()  # @skip/@include inherited from enclosing fragments
    hops: int = 0  # nested key look-ups, bounded so unreachable keys cannot loop
    # The way back up, for taking the same path in another subgraph: the
    # position of the enclosing objects and the step from there to here.
    up: Position | None = None
    step: Step | None = None
    # After a jump: the position the same objects had in the fetch before it.
    origin: Position | None = None


# From the enclosing objects (of the first type) to these: a field selected on
# them, or a narrowing to one object type.
Step = tuple[GraphQLCompositeType, FieldNode | GraphQLObjectType]


def field_directives(field_node: FieldNode, position: Position) -> Directives:
    """@skip/@include of the field and of enclosing fragments, kept for the subgraph to apply."""
    own = tuple(d for d in field_node.directives or () if d.name.value in ("skip", "include"))
    return (*own, *position.directives)
