"""The query planner: which subgraph fetches what, and in which order.

It walks the client's operation from the root. A field goes into the fetch of
the subgraph already serving its parent object when that subgraph resolves it
(itself or through @provides). Otherwise the planner jumps (`jumps.py`): the
current fetch also asks for the parent's `__typename` and a key, and an
`_entities` fetch to a subgraph that resolves the field runs after it. Where
no key leads there, the selection is split: the same path is taken in another
subgraph (`split.py`). Interfaces and unions are handled in `abstract.py`.
Among several subgraphs able to serve a field it first prefers the one
already fetching, then the one resolving most of the field's selections;
`alternatives.py` then tries the other choices and keeps the cheapest plan.
Planning stops at its deadline (`errors.py`).
"""

from __future__ import annotations

from dataclasses import replace

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLCompositeType,
    GraphQLObjectType,
    OperationDefinitionNode,
    SelectionSetNode,
    Visitor,
    get_named_type,
    is_composite_type,
    visit,
)

from router.planning.abstract import AbstractSelections
from router.planning.aliasing import alias_conflicts
from router.planning.alternatives import Choices, cheapest
from router.planning.capabilities import Capabilities
from router.planning.errors import DEFAULT_PLANNING_TIMEOUT, Deadline, PlanningError
from router.planning.groups import FetchGroup, OperationContext, assemble
from router.planning.plan import LIST, OperationKind, QueryPlan
from router.planning.position import Position, field_directives
from router.planning.registry import GroupRegistry
from router.planning.selections import (
    Fragments,
    alias_of,
    list_depth,
    provided_under,
    selection_conditions,
)
from router.planning.split import SplitSelections
from router.supergraph.model import Supergraph

INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type"})

__all__ = ["PlanningError", "plan_operation", "select_operation"]


def plan_operation(
    supergraph: Supergraph,
    document: DocumentNode,
    operation_name: str | None,
    override_labels: frozenset[str] = frozenset(),
    *,
    timeout: float = DEFAULT_PLANNING_TIMEOUT,
) -> QueryPlan:
    """A plan for an operation already validated against the API schema.

    `override_labels` are the progressive-override labels active for this
    request; plans differ by them, so cache plans by them too. Planning longer
    than `timeout` seconds raises `PlanningTimeout`.
    """
    operation = select_operation(document, operation_name)
    deadline = Deadline.after(timeout)

    def make(choices: Choices) -> QueryPlan:
        return _Planner(supergraph, document, operation, override_labels, deadline, choices).plan()

    return cheapest(make)


def select_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None and len(operations) == 1:
        return operations[0]
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    raise PlanningError(f"no operation named {name!r} in the document")


class _Planner(AbstractSelections, SplitSelections):
    """One walk of the operation (see `walk.py` for how the mixins fit)."""

    def __init__(
        self,
        supergraph: Supergraph,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        labels: frozenset[str],
        deadline: Deadline,
        choices: Choices,
    ) -> None:
        self.supergraph = supergraph
        self.deadline = deadline
        self.choices = choices
        self.schema = supergraph.schema
        self.operation = operation
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.fragments = Fragments(self.schema, fragments)
        self.client_aliases = _aliases(document)
        self.capabilities = Capabilities(supergraph, labels, self.fragments)
        self.registry = GroupRegistry(supergraph)

    def plan(self) -> QueryPlan:
        kind: OperationKind = self.operation.operation.value
        root = self.schema.get_root_type(self.operation.operation)
        if root is None:
            raise PlanningError(f"the supergraph has no {kind} type")
        for field_node, directives in self.fragments.fields(root, self.operation.selection_set, ()):
            field_name = field_node.name.value
            if field_name == "__typename" or field_name in INTROSPECTION_ROOT_FIELDS:
                continue  # the router answers these itself
            if (conditions := selection_conditions(field_node.directives, directives)) is None:
                continue
            group = self._root_group(root, field_node, kind)
            position = Position(group, group.tree, (), None, conditions, directives)
            self._plan_field(position, root, field_node)
        variables = {v.variable.name.value: v for v in self.operation.variable_definitions or ()}
        operation_name = self.operation.name.value if self.operation.name else None
        context = OperationContext(kind, operation_name, variables)
        for group in self.registry.groups:
            alias_conflicts(group, self.supergraph, root)
        return QueryPlan(assemble(self.registry.groups, context), kind)

    def _root_group(self, root: GraphQLObjectType, field_node: FieldNode, kind: str) -> FetchGroup:
        sources = self.capabilities.sources(root.name, field_node.name.value)
        if not sources:
            raise PlanningError(f"no subgraph resolves {root.name}.{field_node.name.value}")
        roots = self.registry.root_groups()
        if kind == "mutation":
            # Mutation fields run one after another in document order: only the
            # group of the field just before may take this one as well.
            if roots and roots[-1].graph in sources:
                return roots[-1]
        else:
            # Joining a root fetch already there first, then the subgraph that
            # resolves most of the field's selections; the others as alternatives.
            best = self.capabilities.best_graph(sorted(sources), root, field_node)
            joined = [g.graph for g in roots if g.graph in sources]
            ordered = list(dict.fromkeys([*joined, best, *sorted(sources)]))
            graph = self.choices.pick(("root", alias_of(field_node) or root.name), ordered)
            group = next((g for g in roots if g.graph == graph), None)
            return group or self.registry.new_group(graph, (), entity=False)
        graph = self.capabilities.best_graph(sorted(sources), root, field_node)
        return self.registry.new_group(graph, (), entity=False)

    # -- selections --------------------------------------------------------------------

    def _plan_selection_set(
        self, position: Position, parent: GraphQLCompositeType, selection_set: SelectionSetNode
    ) -> None:
        if isinstance(parent, GraphQLObjectType):
            for field_node, directives in self.fragments.fields(
                parent, selection_set, position.directives
            ):
                conditions = selection_conditions(field_node.directives, directives)
                if conditions is not None:
                    field_position = replace(
                        position, directives=directives, conditions=position.conditions | conditions
                    )
                    self._plan_field(field_position, parent, field_node)
            return
        self._plan_abstract(position, parent, selection_set)

    def _plan_field(
        self, position: Position, parent: GraphQLCompositeType, field_node: FieldNode
    ) -> None:
        self.deadline.check()
        name = field_node.name.value
        if name == "__typename":
            position.tree.add_field(
                "__typename",
                alias_of(field_node),
                directives=field_directives(field_node, position),
            )
            self.registry.touch(position.group, position.conditions)
            return
        graph = position.group.graph
        sources = self.capabilities.sources(parent.name, name)
        here = sources.get(graph)
        provided = provided_under(position.provided, name)
        local = provided is not None or (here is not None and here.requires is None)
        if local:
            below = here.provides if here and here.provides else provided
            elsewhere = set(sources) - {graph}
            if not elsewhere or self.capabilities.servable(graph, parent, field_node, below):
                self._add_local(
                    position, parent, field_node, here.provides if here else None, provided
                )
                return
        jump = self._jump_target(position, parent, name, sources)
        if jump is None:
            if local:
                # No other subgraph serves the whole selection either: what this
                # one lacks is split off below.
                self._add_local(
                    position, parent, field_node, here.provides if here else None, provided
                )
            else:
                self._plan_elsewhere(position, parent, field_node, sources)
            return
        target, rename = jump
        source = sources.get(target) or self._interface_source(parent, name, target)
        entity = self._jump(position, parent, target, rename, source.requires if source else None)
        self._add_local(entity, parent, field_node, source.provides if source else None)

    def _add_local(
        self,
        position: Position,
        parent: GraphQLCompositeType,
        field_node: FieldNode,
        provides: SelectionSetNode | None,
        provided: SelectionSetNode | None = None,
    ) -> None:
        # A field is only selected on an object or interface, which have fields.
        field_def = parent.fields[field_node.name.value]  # type: ignore[union-attr]
        named = get_named_type(field_def.type)
        composite = is_composite_type(named)
        selection = position.tree.add_field(
            field_node.name.value,
            alias_of(field_node),
            tuple(field_node.arguments or ()),
            field_directives(field_node, position),
            composite,
        )
        self.registry.touch(position.group, position.conditions)
        if not composite or field_node.selection_set is None or selection.children is None:
            return
        source = self.capabilities.sources(parent.name, field_node.name.value).get(
            position.group.graph
        )
        if source is not None and source.type is not None:
            # The subgraph types the field more narrowly (an object where the
            # supergraph has a union): select as that subgraph sees it, and ask
            # which type the objects are, which the subgraph's type alone says.
            own = self.schema.get_type(source.type.strip("[]!"))
            if isinstance(own, GraphQLObjectType) and own is not named:
                selection.children.add_field("__typename")
                named = own
        key = field_node.alias.value if field_node.alias else field_node.name.value
        child = Position(
            position.group,
            selection.children,
            (*position.path, key, *[LIST] * list_depth(field_def.type)),
            provides or provided,
            position.conditions,
            (),
            position.hops,
            up=position,
            step=(parent, field_node),
        )
        self._plan_selection_set(child, named, field_node.selection_set)


def _aliases(document: DocumentNode) -> frozenset[str]:
    found: set[str] = set()

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            if node.alias is not None and node.alias.value != node.name.value:
                found.add(node.alias.value)

    visit(document, Collect())
    return frozenset(found)
