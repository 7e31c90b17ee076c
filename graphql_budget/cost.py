"""Static cost of an operation, estimated before any fetch (demand control).

The estimate follows IBM's GraphQL Cost Directive specification as Apollo
Router's demand control applies it: a field returning an object, interface or
union costs 1, a scalar or enum 0, unless `@cost(weight:)` on the field or on
its type says otherwise; arguments given add their `@cost`; a list multiplies
the cost of its items by its size, and each root mutation field adds 10.

A list's size is the largest slicing argument given (or its default), else
the `@listSize(assumedSize:)`, else the configured default; a slicing
argument that is a list counts its items (a subgraph sizes `_entities` by
its `representations`). `sizedFields`
moves the size to the named child fields (connections: `edges`). Fragments
are costed once per parent type and sizes, and a fragment spread again in the
same selection set counts once, as in the query-node count, so the estimate
never expands a document exponentially. Fields a literal or variable
`@skip`/`@include` removes cost nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLCompositeType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    ValueNode,
    get_named_type,
    is_composite_type,
    print_ast,
    value_from_ast_untyped,
)

from graphql_budget.conditions import included
from graphql_budget.directives import CostDirectives, ListSize

MUTATION_WEIGHT = 10
# Estimates saturate here: the exact figure past any limit does not matter, and
# a larger one would not fit in JSON readers (nor in orjson, which refused to
# write the refusal: found by the fuzzer, tests/fuzz).
MAX_ESTIMATE = 2**53 - 1


class SlicingArgumentRequired(ValueError):
    """A list field with `@listSize(requireOneSlicingArgument: true)` got none or several
    of its slicing arguments: its size cannot be told, so the operation is refused."""

    code = "SLICING_ARGUMENT_REQUIRED"


Sized = tuple[tuple[str, int], ...]  # child field -> list size set by a parent's sizedFields


class CostEstimator:
    """Estimates operations against one supergraph's API schema and cost directives."""

    def __init__(
        self, schema: GraphQLSchema, directives: CostDirectives, default_list_size: int
    ) -> None:
        self.schema = schema
        self.directives = directives
        self.default_list_size = default_list_size

    def estimate(
        self,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> int:
        """The cost of `operation` (a validated one; unknown fields cost nothing).

        Raises SlicingArgumentRequired for a list field that must be sliced and is not.
        """
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        walk = _Walk(self, root, fragments, variables)
        cost = walk.selection_set(root, operation.selection_set, ())
        if operation.operation.value == "mutation":
            cost += MUTATION_WEIGHT * walk.root_fields
        return min(cost, MAX_ESTIMATE)


class _Walk:
    def __init__(
        self,
        estimator: CostEstimator,
        root: GraphQLObjectType,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = estimator.schema
        self.directives = estimator.directives
        self.default_list_size = estimator.default_list_size
        self.fragments = fragments
        self.variables = variables
        self.root_fields = 0
        self.memo: dict[tuple[str, str, Sized], int] = {}
        self.root = root

    def selection_set(
        self, parent: GraphQLCompositeType, selection_set: SelectionSetNode, sized: Sized
    ) -> int:
        cost = 0
        spread: set[str] = set()
        for selection in selection_set.selections:
            if not included(selection.directives, self.variables):
                continue
            if isinstance(selection, FieldNode):
                cost += self.field(parent, selection, sized)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                if is_composite_type(target):
                    cost += self.selection_set(target, selection.selection_set, sized)
            elif isinstance(selection, FragmentSpreadNode):
                key = " ".join([selection.name.value, *map(print_ast, selection.directives or ())])
                if key not in spread:
                    spread.add(key)
                    cost += self.fragment(selection.name.value, sized)
        return cost

    def fragment(self, name: str, sized: Sized) -> int:
        definition = self.fragments.get(name)
        if definition is None:
            return 0
        target = self.schema.get_type(definition.type_condition.name.value)
        if not is_composite_type(target):
            return 0
        key = (name, target.name, sized)
        found = self.memo.get(key)
        if found is None:
            self.memo[key] = 0  # a cycle (refused by validation) costs nothing more
            found = self.memo[key] = self.selection_set(target, definition.selection_set, sized)
        return found

    def field(self, parent: GraphQLCompositeType, node: FieldNode, sized: Sized) -> int:
        name = node.name.value
        if parent is self.root:
            self.root_fields += 1
        if name.startswith("__") or not isinstance(
            parent, (GraphQLObjectType, GraphQLInterfaceType)
        ):
            return 0  # introspection: bounded by the schema, answered by the router
        definition = parent.fields.get(name)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        weights = self.directives
        own = weights.field_weights.get((parent.name, name))
        if own is None:
            own = weights.type_weights.get(named.name, 1 if is_composite_type(named) else 0)
        arguments = sum(
            weights.argument_weights.get((parent.name, name, a.name.value), 0)
            for a in node.arguments or ()
        )
        list_size = weights.list_sizes.get((parent.name, name))
        multiplier = 1
        inner: Sized = ()
        if list_size is not None:
            _require_one_slicing_argument(parent.name, node, list_size, self.variables)
        if list_size is not None and list_size.sized_fields:
            size = self.size(definition, node, list_size)
            inner = tuple((child, size) for child in list_size.sized_fields)
        elif _is_list(definition.type):
            given = dict(sized).get(name)
            multiplier = given if given is not None else self.size(definition, node, list_size)
        children = 0
        if node.selection_set is not None and is_composite_type(named):
            children = self.selection_set(named, node.selection_set, inner)
        return multiplier * (own + children) + arguments

    def size(self, definition: GraphQLField, node: FieldNode, list_size: ListSize | None) -> int:
        if list_size is None:
            return self.default_list_size
        given = {a.name.value: a.value for a in node.arguments or ()}
        sizes = []
        for name in list_size.slicing_arguments:
            value: Any = None
            if name in given:
                value = value_from_ast_untyped(given[name], dict(self.variables))
            elif (argument := definition.args.get(name)) is not None:
                value = _default(argument)
            if isinstance(value, int) and not isinstance(value, bool):
                sizes.append(value)
            elif isinstance(value, list):  # a list argument sizes by its length
                sizes.append(len(value))
        if sizes:
            return max(sizes)
        if list_size.assumed_size is not None:
            return list_size.assumed_size
        return self.default_list_size


def _require_one_slicing_argument(
    parent: str, node: FieldNode, list_size: ListSize, variables: Mapping[str, Any]
) -> None:
    if not list_size.require_one_slicing_argument or not list_size.slicing_arguments:
        return
    # Given in the operation and not null: a default does not count, as in Apollo's
    # demand control, since the client did not choose it.
    given = [
        a.name.value
        for a in node.arguments or ()
        if a.name.value in list_size.slicing_arguments
        and value_from_ast_untyped(a.value, dict(variables)) is not None
    ]
    if len(given) != 1:
        names = ", ".join(list_size.slicing_arguments)
        raise SlicingArgumentRequired(
            f"Field '{parent}.{node.name.value}' needs exactly one of its slicing arguments "
            f"({names}); the operation gives {len(given)}."
        )


def _default(argument: GraphQLArgument) -> Any:
    """An argument's default value, whether the schema keeps it as a literal or a value."""
    default = argument.default
    if default is None:
        return None
    literal = getattr(default, "literal", None)
    if isinstance(literal, ValueNode):
        return value_from_ast_untyped(literal)
    value = getattr(default, "value", None)
    return None if value is Undefined else value


def _is_list(type_: GraphQLOutputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)
