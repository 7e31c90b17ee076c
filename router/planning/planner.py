"""The query planner: which subgraph fetches what, and in which order.

It walks the client's operation from the root. A field goes into the fetch of
the subgraph already serving its parent object when that subgraph resolves it
(itself or through @provides). Otherwise the planner jumps: the current fetch
also asks for the parent's `__typename` and a key, and an `_entities` fetch to
a subgraph that resolves the field runs after it. @requires fields, and keys
the current subgraph cannot give, are planned like client fields first and
travel in the representations. Among several subgraphs able to serve a field
it prefers the one already fetching, then the one resolving most of the
field's selections itself, which keeps the number of fetches low.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)

from router.planning.groups import Conditions, FetchGroup, OperationContext, assemble
from router.planning.plan import LIST, OperationKind, PathElement, QueryPlan, type_condition
from router.planning.tree import SelectionTree
from router.supergraph.model import FieldSource, Key, Supergraph

INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type"})
MAX_KEY_HOPS = 3
Directives = tuple[DirectiveNode, ...]


class PlanningError(Exception):
    """The operation cannot be planned over this supergraph."""


def plan_operation(
    supergraph: Supergraph,
    document: DocumentNode,
    operation_name: str | None,
    override_labels: frozenset[str] = frozenset(),
) -> QueryPlan:
    """A plan for an operation already validated against the API schema.

    `override_labels` are the progressive-override labels active for this
    request; plans differ by them, so cache plans by them too.
    """
    operation = select_operation(document, operation_name)
    return _Planner(supergraph, document, operation, override_labels).plan()


def select_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None and len(operations) == 1:
        return operations[0]
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    raise PlanningError(f"no operation named {name!r} in the document")


@dataclass(frozen=True)
class _Position:
    """Where the walk is: the group fetching the objects at `path`, and its selections there."""

    group: FetchGroup
    tree: SelectionTree
    path: tuple[PathElement, ...]
    provided: SelectionSetNode | None = None  # what @provides makes local below this point
    conditions: Conditions = frozenset()
    directives: Directives = ()  # @skip/@include inherited from enclosing fragments
    hops: int = 0  # nested key look-ups, bounded so unreachable keys cannot loop


class _Planner:
    def __init__(
        self,
        supergraph: Supergraph,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        labels: frozenset[str],
    ) -> None:
        self.supergraph = supergraph
        self.labels = labels
        self.schema = supergraph.schema
        self.operation = operation
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.groups: list[FetchGroup] = []
        self._entity_groups: dict[tuple[object, ...], FetchGroup] = {}
        self._touched: list[set[FetchGroup]] = []

    def plan(self) -> QueryPlan:
        kind: OperationKind = self.operation.operation.value
        root = self.schema.get_root_type(self.operation.operation)
        if root is None:
            raise PlanningError(f"the supergraph has no {kind} type")
        for field_node, directives in self._fields(root, self.operation.selection_set, ()):
            field_name = field_node.name.value
            if field_name == "__typename" or field_name in INTROSPECTION_ROOT_FIELDS:
                continue  # the router answers these itself
            if (conditions := _conditions(field_node.directives, directives)) is None:
                continue
            group = self._root_group(root, field_node, kind)
            position = _Position(group, group.tree, (), None, conditions, directives)
            self._plan_field(position, root, field_node)
        variables = {v.variable.name.value: v for v in self.operation.variable_definitions or ()}
        operation_name = self.operation.name.value if self.operation.name else None
        context = OperationContext(kind, operation_name, variables)
        return QueryPlan(assemble(self.groups, context), kind)

    def _root_group(self, root: GraphQLObjectType, field_node: FieldNode, kind: str) -> FetchGroup:
        sources = self._sources(root.name, field_node.name.value)
        if not sources:
            raise PlanningError(f"no subgraph resolves {root.name}.{field_node.name.value}")
        roots = [g for g in self.groups if not g.is_entity]
        if kind == "mutation":
            # Mutation fields run one after another in document order: only the
            # group of the field just before may take this one as well.
            if roots and roots[-1].graph in sources:
                return roots[-1]
        else:
            for group in roots:
                if group.graph in sources:
                    return group
        graph = self._best_graph(sorted(sources), root, field_node)
        return self._new_group(graph, (), entity=False)

    # -- selections --------------------------------------------------------------------

    def _plan_selection_set(
        self, position: _Position, parent: GraphQLCompositeType, selection_set: SelectionSetNode
    ) -> None:
        if isinstance(parent, GraphQLObjectType):
            for field_node, directives in self._fields(parent, selection_set, position.directives):
                conditions = _conditions(field_node.directives, directives)
                if conditions is not None:
                    field_position = replace(
                        position, directives=directives, conditions=position.conditions | conditions
                    )
                    self._plan_field(field_position, parent, field_node)
            return
        self._plan_abstract(position, parent, selection_set)

    def _plan_abstract(
        self, position: _Position, parent: GraphQLCompositeType, selection_set: SelectionSetNode
    ) -> None:
        graph = position.group.graph
        meta = self.supergraph.types.get(parent.name)
        if meta is not None and graph in meta.interface_object_in:
            self._plan_interface_object(position, parent, selection_set)
            return
        # Which object each result is decides which fragments apply to it: always ask.
        position.tree.add_field("__typename")
        possible = self._possible_in_graph(parent, graph)
        direct = list(self._fields(parent, selection_set, position.directives))
        if all(self._keeps_on_abstract(parent, f, possible, graph, position) for f, _ in direct):
            for field_node, directives in direct:
                self._plan_direct(position, parent, field_node, directives)
            narrowed = self._narrowing(parent, selection_set, position.directives)
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
            )
            self._plan_selection_set(typed, object_type, selections)

    def _plan_direct(
        self,
        position: _Position,
        parent: GraphQLCompositeType,
        field_node: FieldNode,
        directives: Directives,
    ) -> None:
        """A field kept on the abstract type itself, in the current fetch."""
        conditions = _conditions(field_node.directives, directives)
        if conditions is None:
            return
        here = replace(position, directives=directives, conditions=position.conditions | conditions)
        if field_node.name.value == "__typename":
            self._plan_field(here, parent, field_node)
            return
        provided = _provided(position.provided, field_node.name.value)
        self._add_local(here, parent, field_node, None, provided)

    def _plan_interface_object(
        self, position: _Position, parent: GraphQLCompositeType, selection_set: SelectionSetNode
    ) -> None:
        """This subgraph knows the interface as one object type (@interfaceObject).

        Its objects come back with the interface's name as __typename. Fields it
        resolves stay here; the real type, type conditions and other fields come
        from a subgraph where the interface is a keyed interface.
        """
        graph = position.group.graph
        rest: list[SelectionNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode) and selection.name.value != "__typename":
                source = self._sources(parent.name, selection.name.value).get(graph)
                if source is not None and source.requires is None:
                    self._plan_direct(position, parent, selection, position.directives)
                    continue
            rest.append(selection)
        if not rest:
            return
        meta = self.supergraph.type(parent.name)
        targets = [
            g for g in meta.graphs if g not in meta.interface_object_in and meta.resolvable_keys(g)
        ]
        if not targets:
            raise PlanningError(f"no subgraph resolves the object types behind {parent.name}")
        entity = self._jump(position, parent, targets[0], None, None)
        self._plan_abstract(entity, parent, SelectionSetNode(selections=tuple(rest)))

    def _keeps_on_abstract(
        self,
        parent: GraphQLCompositeType,
        field_node: FieldNode,
        possible: list[GraphQLObjectType],
        graph: str,
        position: _Position,
    ) -> bool:
        name = field_node.name.value
        if name == "__typename":
            return True
        if not isinstance(parent, GraphQLInterfaceType):
            return False
        if _provided(position.provided, name) is not None:
            return True
        own = self._sources(parent.name, name).get(graph)
        if own is None or own.requires is not None:
            return False
        for object_type in possible:
            source = self._sources(object_type.name, name).get(graph)
            if source is None or source.requires is not None:
                return False
        return True

    def _plan_field(
        self, position: _Position, parent: GraphQLCompositeType, field_node: FieldNode
    ) -> None:
        name = field_node.name.value
        if name == "__typename":
            position.tree.add_field(
                "__typename", _alias(field_node), directives=_field_directives(field_node, position)
            )
            self._touch(position.group, position.conditions)
            return
        graph = position.group.graph
        sources = self._sources(parent.name, name)
        here = sources.get(graph)
        provided = _provided(position.provided, name)
        if provided is not None or (here is not None and here.requires is None):
            below = here.provides if here and here.provides else provided
            elsewhere = set(sources) - {graph}
            if not elsewhere or self._servable(graph, parent, field_node, below):
                self._add_local(
                    position, parent, field_node, here.provides if here else None, provided
                )
                return
        target, rename = self._jump_target(position, parent, name, sources)
        source = sources.get(target) or self._interface_source(parent, name, target)
        entity = self._jump(position, parent, target, rename, source.requires if source else None)
        self._add_local(entity, parent, field_node, source.provides if source else None)

    def _add_local(
        self,
        position: _Position,
        parent: GraphQLCompositeType,
        field_node: FieldNode,
        provides: SelectionSetNode | None,
        provided: SelectionSetNode | None = None,
    ) -> None:
        field_def = parent.fields[field_node.name.value]  # type: ignore[union-attr]
        named = get_named_type(field_def.type)
        composite = is_composite_type(named)
        selection = position.tree.add_field(
            field_node.name.value,
            _alias(field_node),
            tuple(field_node.arguments or ()),
            _field_directives(field_node, position),
            composite,
        )
        self._touch(position.group, position.conditions)
        if not composite or field_node.selection_set is None or selection.children is None:
            return
        key = field_node.alias.value if field_node.alias else field_node.name.value
        child = _Position(
            position.group,
            selection.children,
            (*position.path, key, *[LIST] * _list_depth(field_def.type)),
            provides or provided,
            position.conditions,
            (),
            position.hops,
        )
        self._plan_selection_set(child, named, field_node.selection_set)

    # -- jumps -------------------------------------------------------------------------

    def _jump_target(
        self,
        position: _Position,
        parent: GraphQLCompositeType,
        name: str,
        sources: dict[str, FieldSource],
    ) -> tuple[str, str | None]:
        """The subgraph to fetch `parent.name` from, and the typename it knows the parent by."""
        if not sources:
            for interface in getattr(parent, "interfaces", ()):
                meta = self.supergraph.types.get(interface.name)
                if meta is None:
                    continue
                for graph in sorted(meta.interface_object_in):
                    if graph in self._sources(interface.name, name):
                        return graph, interface.name
            raise PlanningError(f"no subgraph resolves {parent.name}.{name}")
        current = position.group.graph
        candidates = sorted(sources, key=lambda g: (g != current, g))
        for graph in candidates:
            if (graph, _base(position.path), position.group.id) in {
                k[:3] for k in self._entity_groups
            }:
                return graph, None
        for graph in candidates:
            if self._direct_key(parent.name, graph, current, position) is not None:
                return graph, None
        for graph in candidates:
            if self.supergraph.type(parent.name).resolvable_keys(graph):
                return graph, None
        raise PlanningError(
            f"{parent.name}.{name} is only in subgraphs that cannot fetch {parent.name} by key"
        )

    def _interface_source(
        self, parent: GraphQLCompositeType, name: str, graph: str
    ) -> FieldSource | None:
        for interface in getattr(parent, "interfaces", ()):
            source = self._sources(interface.name, name).get(graph)
            if source is not None:
                return source
        return None

    def _jump(
        self,
        position: _Position,
        parent: GraphQLCompositeType,
        target: str,
        rename: str | None,
        requires: SelectionSetNode | None,
    ) -> _Position:
        """An `_entities` fetch to `target` for the objects at this position."""
        keyed_type = rename or parent.name
        current = position.group.graph
        key = self._direct_key(keyed_type, target, current, position)
        producers: set[FetchGroup] = {position.group}
        position.tree.add_field("__typename")
        if key is None:
            keys = self.supergraph.type(keyed_type).resolvable_keys(target)
            if not keys or position.hops >= MAX_KEY_HOPS:
                raise PlanningError(f"cannot reach {parent.name} in {target} from {current}")
            key = keys[0]
            producers |= self._ensure(
                replace(position, hops=position.hops + 1), parent, key.selection_set
            )
            key_read = key.selection_set
        else:
            key_read = position.tree.add_hidden(key.selection_set)
        if requires is not None:
            producers |= self._ensure(position, parent, requires)
        entity = self._entity_group(target, position, rename)
        for producer in producers:
            entity.depend_on(producer)
        representation = entity.requires.fragment(parent.name)
        representation.add_field("__typename")
        representation.add_selection_set(key_read)
        if requires is not None:
            representation.add_selection_set(requires)
        return _Position(
            entity,
            entity.tree.fragment(keyed_type),
            position.path,
            None,
            position.conditions,
            position.directives,
            position.hops,
        )

    def _servable(
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
        named = get_named_type(parent.fields[field_node.name.value].type)  # type: ignore[union-attr]
        if isinstance(named, GraphQLObjectType):
            objects = [named]
        elif isinstance(named, (GraphQLInterfaceType, GraphQLUnionType)):
            objects = self._possible_in_graph(named, graph)
        else:
            return True
        for object_type in objects:
            for child, _ in self._fields(object_type, field_node.selection_set, ()):
                name = child.name.value
                if name == "__typename":
                    continue
                own = self._sources(object_type.name, name).get(graph)
                inner = _provided(provided, name)
                if (own is not None and own.requires is None) or inner is not None:
                    below = own.provides if own and own.provides else inner
                    if not self._servable(graph, object_type, child, below):
                        return False
                elif not self.supergraph.type(object_type.name).is_entity:
                    return False
        return True

    def _direct_key(
        self, type_name: str, target: str, current: str, position: _Position
    ) -> Key | None:
        """A key of `type_name` in `target` whose fields the current subgraph resolves."""
        for key in self.supergraph.type(type_name).resolvable_keys(target):
            if self._resolves_all(type_name, key.selection_set, current, position.provided):
                return key
        return None

    def _resolves_all(
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
            own = self._sources(type_name, name).get(graph)
            inner = _provided(provided, name)
            if (own is None or own.requires is not None) and inner is None:
                return False
            if selection.selection_set is not None:
                field_type = get_named_type(parent.fields[name].type)  # type: ignore[union-attr]
                if field_type is None or not self._resolves_all(
                    field_type.name, selection.selection_set, graph, inner
                ):
                    return False
        return True

    def _ensure(
        self, position: _Position, parent: GraphQLCompositeType, fields: SelectionSetNode
    ) -> set[FetchGroup]:
        """Plans `fields` as if the client asked for them; the groups that fetch them."""
        self._touched.append(set())
        try:
            self._plan_selection_set(replace(position, directives=()), parent, fields)
        finally:
            touched = self._touched.pop()
        return touched

    def _sources(self, type_name: str, field_name: str) -> dict[str, FieldSource]:
        return self.supergraph.field_sources(type_name, field_name, self.labels)

    # -- groups ------------------------------------------------------------------------

    def _entity_group(self, graph: str, position: _Position, rename: str | None) -> FetchGroup:
        # One fetch per subgraph and path below one parent fetch: sibling fields,
        # @requires'd or not, and every object type at the path share it (the
        # representations say which type each object is).
        path = _base(position.path)
        key = (graph, path, position.group.id, rename)
        group = self._entity_groups.get(key)
        if group is None:
            group = self._new_group(graph, path, entity=True)
            group.rename_typename_to = rename
            group.depend_on(position.group)
            self._entity_groups[key] = group
        return group

    def _new_group(self, graph: str, path: tuple[PathElement, ...], *, entity: bool) -> FetchGroup:
        group = FetchGroup(
            id=len(self.groups),
            graph=graph,
            service=self.supergraph.graphs[graph].name,
            path=path,
            is_entity=entity,
        )
        self.groups.append(group)
        return group

    def _touch(self, group: FetchGroup, conditions: Conditions) -> None:
        group.narrow_conditions(conditions)
        for touched in self._touched:
            touched.add(group)

    # -- choices -----------------------------------------------------------------------

    def _best_graph(
        self, graphs: list[str], parent: GraphQLObjectType, field_node: FieldNode
    ) -> str:
        """The graph resolving most of the field's own selections (fewest jumps)."""
        if len(graphs) == 1 or field_node.selection_set is None:
            return graphs[0]
        field_type = get_named_type(parent.fields[field_node.name.value].type)

        def local(graph: str) -> int:
            count = 0
            for sub, _ in self._fields(field_type, field_node.selection_set, ()):  # type: ignore[arg-type]
                if graph in self._sources(field_type.name, sub.name.value):
                    count += 1
            return count

        return max(graphs, key=lambda g: (local(g), -graphs.index(g)))

    def _possible_in_graph(
        self, abstract: GraphQLCompositeType, graph: str
    ) -> list[GraphQLObjectType]:
        """Object types a subgraph may return where it returns `abstract`."""
        meta = self.supergraph.types.get(abstract.name)
        if isinstance(abstract, GraphQLUnionType):
            members = meta.union_members.get(graph, frozenset()) if meta else frozenset()
            return [t for t in abstract.types if t.name in members]
        possible = self.schema.get_possible_types(abstract)  # type: ignore[arg-type]
        return [
            t
            for t in possible
            if abstract.name in self.supergraph.types[t.name].implements.get(graph, frozenset())
        ]

    # -- fragments ---------------------------------------------------------------------

    def _fields(
        self, parent: GraphQLCompositeType, selection_set: SelectionSetNode, directives: Directives
    ) -> Iterator[tuple[FieldNode, Directives]]:
        """Fields selected on `parent` itself, with fragments that always apply flattened in."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, directives
                continue
            condition, selections, extra = self._fragment(selection)
            if condition is None or condition == parent.name or self._contains(condition, parent):
                yield from self._fields(parent, selections, directives + extra)

    def _narrowing(
        self, parent: GraphQLCompositeType, selection_set: SelectionSetNode, directives: Directives
    ) -> list[tuple[GraphQLObjectType, SelectionSetNode, Directives]]:
        """Fragments that narrow an abstract parent, as (object type, selections) pairs."""
        found: list[tuple[GraphQLObjectType, SelectionSetNode, Directives]] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                continue
            condition, selections, extra = self._fragment(selection)
            if condition is None or condition == parent.name:
                found += self._narrowing(parent, selections, directives + extra)
                continue
            target = self.schema.get_type(condition)
            if isinstance(target, GraphQLObjectType):
                objects: list[GraphQLObjectType] = [target]
            elif isinstance(target, (GraphQLInterfaceType, GraphQLUnionType)):
                objects = list(self.schema.get_possible_types(target))
            else:
                continue
            for object_type in objects:
                found.append((object_type, selections, directives + extra))
        return found

    def _fragment(self, selection: object) -> tuple[str | None, SelectionSetNode, Directives]:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            return condition, selection.selection_set, tuple(selection.directives or ())
        assert isinstance(selection, FragmentSpreadNode)
        definition = self.fragments[selection.name.value]
        return (
            definition.type_condition.name.value,
            definition.selection_set,
            tuple(selection.directives or ()),
        )

    def _contains(self, abstract_name: str, parent: GraphQLCompositeType) -> bool:
        abstract = self.schema.get_type(abstract_name)
        return (
            isinstance(parent, GraphQLObjectType)
            and isinstance(abstract, (GraphQLInterfaceType, GraphQLUnionType))
            and self.schema.is_sub_type(abstract, parent)
        )


def _base(path: tuple[PathElement, ...]) -> tuple[PathElement, ...]:
    """The path without its final type condition."""
    return path[:-1] if path and path[-1].startswith("|") else path


def _alias(field_node: FieldNode) -> str | None:
    return field_node.alias.value if field_node.alias else None


def _field_directives(field_node: FieldNode, position: _Position) -> Directives:
    """@skip/@include of the field and of enclosing fragments, kept for the subgraph to apply."""
    own = tuple(d for d in field_node.directives or () if d.name.value in ("skip", "include"))
    return (*own, *position.directives)


def _conditions(own: object, inherited: Directives) -> Conditions | None:
    """Variable conditions of a selection; None when a literal @skip/@include excludes it."""
    found: set[tuple[str, bool]] = set()
    for directive in (*(own or ()), *inherited):  # type: ignore[misc]
        if directive.name.value not in ("skip", "include"):
            continue
        include = directive.name.value == "include"
        value = directive.arguments[0].value
        if isinstance(value, BooleanValueNode):
            if value.value != include:
                return None
        elif isinstance(value, VariableNode):
            found.add((value.name.value, include))
    return frozenset(found)


def _provided(provided: SelectionSetNode | None, name: str) -> SelectionSetNode | None:
    """The part of a @provides field set under field `name`, if it provides that field."""
    if provided is None:
        return None
    for selection in provided.selections:
        if isinstance(selection, FieldNode) and selection.name.value == name:
            return selection.selection_set or SelectionSetNode(selections=())
        if isinstance(selection, InlineFragmentNode):
            inner = _provided(selection.selection_set, name)
            if inner is not None:
                return inner
    return None


def _list_depth(type_: GraphQLOutputType) -> int:
    depth = 0
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        if isinstance(type_, GraphQLList):
            depth += 1
        type_ = type_.of_type
    return depth
