"""What the planner's mixins share: the state of one walk and the core steps they call.

`Jumps`, `AbstractSelections` and `SplitSelections` each own one concept of
the walk; the planner in `planner.py` mixes them in and implements the three
core steps declared here, which the mixins call back.
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    GraphQLCompositeType,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
)

from router.planning.alternatives import Choices
from router.planning.capabilities import Capabilities
from router.planning.errors import Deadline
from router.planning.position import Position
from router.planning.registry import GroupRegistry
from router.planning.selections import Fragments
from router.supergraph.model import Supergraph


class Walk:
    supergraph: Supergraph
    schema: GraphQLSchema
    operation: OperationDefinitionNode
    deadline: Deadline
    fragments: Fragments
    capabilities: Capabilities
    registry: GroupRegistry
    choices: Choices
    client_aliases: frozenset[str]  # response keys the client chose for other fields

    def _plan_selection_set(
        self, position: Position, parent: GraphQLCompositeType, selection_set: SelectionSetNode
    ) -> None:
        raise NotImplementedError

    def _plan_field(
        self, position: Position, parent: GraphQLCompositeType, field_node: FieldNode
    ) -> None:
        raise NotImplementedError

    def _add_local(
        self,
        position: Position,
        parent: GraphQLCompositeType,
        field_node: FieldNode,
        provides: SelectionSetNode | None,
        provided: SelectionSetNode | None = None,
    ) -> None:
        raise NotImplementedError
