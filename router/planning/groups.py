"""Fetch groups: what the planner gathers per subgraph fetch, and how they become a plan.

A group is one request to one subgraph: either a root fetch (fields of Query
or Mutation) or an entity fetch at a path of the response (`_entities` with
the representations of the objects found there). Groups depend on the groups
that fetch what their representations need; the dependency graph becomes
Sequence and Parallel nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    ArgumentNode,
    FieldNode,
    ListTypeNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    print_ast,
)

from router.planning.plan import (
    Condition,
    Fetch,
    Flatten,
    OperationKind,
    Parallel,
    PathElement,
    PlanNode,
    Rename,
    Sequence,
)
from router.planning.tree import SelectionTree

# `$representations: [_Any!]!`, the variable of every entity fetch.
REPRESENTATIONS = VariableDefinitionNode(
    variable=VariableNode(name=NameNode(value="representations")),
    type=NonNullTypeNode(
        type=ListTypeNode(type=NonNullTypeNode(type=NamedTypeNode(name=NameNode(value="_Any"))))
    ),
    directives=(),
)


class PlanningCycle(RuntimeError):
    """A planner bug: two fetch groups would each wait for the other."""


# (variable, value that keeps the selection): @include(if: $v) -> (v, True)
Conditions = frozenset[tuple[str, bool]]


@dataclass(eq=False)
class FetchGroup:
    id: int
    graph: str
    service: str
    path: tuple[PathElement, ...] = ()
    is_entity: bool = False
    tree: SelectionTree = field(default_factory=SelectionTree)
    requires: SelectionTree = field(default_factory=SelectionTree)
    depends_on: list[FetchGroup] = field(default_factory=list)
    conditions: Conditions | None = None  # None until a selection lands in the group
    rename_typename_to: str | None = None
    renames: tuple[Rename, ...] = ()

    def depend_on(self, other: FetchGroup) -> None:
        if other is self or other in self.depends_on:
            return
        if self in other.ancestors():
            # The planner picks groups so that this never happens; a cycle would
            # leave the plan without an order to run in.
            raise PlanningCycle(f"fetch group {self.id} would wait for itself")
        self.depends_on.append(other)

    def ancestors(self) -> set[FetchGroup]:
        """Every group this one waits for, directly or not."""
        found: set[FetchGroup] = set()
        pending = list(self.depends_on)
        while pending:
            group = pending.pop()
            if group not in found:
                found.add(group)
                pending.extend(group.depends_on)
        return found

    def narrow_conditions(self, conditions: Conditions) -> None:
        """The group runs only when every selection in it would be skipped otherwise."""
        self.conditions = conditions if self.conditions is None else self.conditions & conditions


@dataclass(frozen=True)
class OperationContext:
    kind: OperationKind
    name: str | None
    variables: dict[str, VariableDefinitionNode]


def to_fetch(group: FetchGroup, index: int, context: OperationContext) -> Fetch:
    used = sorted(set(group.tree.variables()))
    definitions = tuple(context.variables[name] for name in used if name in context.variables)
    name = NameNode(value=f"{context.name}__{group.service}__{index}") if context.name else None
    selection = group.tree.selection_set()
    if group.is_entity:
        variable = REPRESENTATIONS.variable
        entities = FieldNode(
            name=NameNode(value="_entities"),
            arguments=(ArgumentNode(name=variable.name, value=variable),),
            directives=(),
            selection_set=selection,
        )
        operation = OperationDefinitionNode(
            operation=OperationType.QUERY,
            name=name,
            variable_definitions=(REPRESENTATIONS, *definitions),
            directives=(),
            selection_set=SelectionSetNode(selections=(entities,)),
        )
        return Fetch(
            service=group.service,
            operation=print_ast(operation),
            operation_kind="query",
            variable_usages=tuple(used),
            requires=group.requires.selection_set(),
            rename_typename_to=group.rename_typename_to,
            renames=group.renames,
            selection=selection,
            response_keys=group.tree.response_keys(),
        )
    operation = OperationDefinitionNode(
        operation=OperationType(context.kind),
        name=name,
        variable_definitions=definitions,
        directives=(),
        selection_set=selection,
    )
    return Fetch(
        service=group.service,
        operation=print_ast(operation),
        operation_kind=context.kind,
        variable_usages=tuple(used),
        renames=group.renames,
        selection=selection,
        response_keys=group.tree.response_keys(),
    )


def assemble(groups: list[FetchGroup], context: OperationContext) -> PlanNode | None:
    """The plan node running every group after the groups it depends on."""
    live = [g for g in groups if not g.tree.is_empty()]
    if not live:
        return None
    fetches = {g.id: to_fetch(g, i, context) for i, g in enumerate(live)}
    nodes = {g.id: _node(g, fetches[g.id]) for g in live}
    roots = [g for g in live if not g.depends_on]
    if all(len(g.depends_on) <= 1 for g in live):
        children: dict[int, list[FetchGroup]] = {g.id: [] for g in live}
        for g in live:
            if g.depends_on:
                children[g.depends_on[0].id].append(g)

        def subtree(group: FetchGroup) -> PlanNode:
            below = [subtree(child) for child in children[group.id]]
            if not below:
                return nodes[group.id]
            return _in_order([nodes[group.id], _together(below)])

        tops = [subtree(root) for root in roots]
        return _in_order(tops) if context.kind == "mutation" else _together(tops)
    return _by_levels(live, nodes, context)


def _by_levels(
    live: list[FetchGroup], nodes: dict[int, PlanNode], context: OperationContext
) -> PlanNode:
    """A group with several prerequisites waits for a whole level to finish."""
    level: dict[int, int] = {}

    def depth(group: FetchGroup) -> int:
        if group.id not in level:
            level[group.id] = 1 + max((depth(d) for d in group.depends_on), default=-1)
        return level[group.id]

    for group in live:
        depth(group)
    steps: list[PlanNode] = []
    for n in range(max(level.values()) + 1):
        at_level = [nodes[g.id] for g in live if level[g.id] == n]
        if n == 0 and context.kind == "mutation":
            steps.extend(at_level)
        else:
            steps.append(_together(at_level))
    return steps[0] if len(steps) == 1 else Sequence(tuple(steps))


def _in_order(nodes: list[PlanNode]) -> PlanNode:
    flat: list[PlanNode] = []
    for node in nodes:
        flat.extend(node.nodes if isinstance(node, Sequence) else (node,))
    return flat[0] if len(flat) == 1 else Sequence(tuple(flat))


def _together(nodes: list[PlanNode]) -> PlanNode:
    return nodes[0] if len(nodes) == 1 else Parallel(tuple(nodes))


def _node(group: FetchGroup, fetch: Fetch) -> PlanNode:
    node: PlanNode = Flatten(group.path, fetch) if group.is_entity else fetch
    for variable, keep in sorted(group.conditions or ()):
        node = Condition(variable, node, None) if keep else Condition(variable, None, node)
    return node
