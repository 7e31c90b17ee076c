"""The router's cost stage: refuses an operation whose estimate passes the limit.

The estimate itself (`graphql_budget.cost`) is shared with the subgraphs;
this stage caches it per operation and the variables it reads, and shapes
the router's refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
)
from graphql.language import ListValueNode, ObjectValueNode

from graphql_budget.cost import CostEstimator, SlicingArgumentRequired
from router.operation.errors import RequestError, RequestFailure
from router.operation.lru import LruCache
from router.operation.prepared import PreparedOperation


class CostLimit:
    """Refuses operations whose estimate passes `max_cost`, before planning and fetching.

    Estimates are kept per document, operation and the values of the variables
    the estimate can read: those of `@skip`/`@include` and of slicing arguments
    (any argument named as one anywhere in the schema, which is a superset).
    Most operations with variables (a checkout's input, a page's cursor) read
    none of them, so one estimate serves all their requests.
    """

    def __init__(self, estimator: CostEstimator, max_cost: int, cache_size: int) -> None:
        self.estimator = estimator
        self.max_cost = max_cost
        self._slicing = frozenset(
            name
            for size in estimator.directives.list_sizes.values()
            for name in size.slicing_arguments
        )
        self._read: LruCache[tuple[str, str | None], tuple[str, ...]] = LruCache(cache_size)
        self._known: LruCache[tuple[str, str | None, bytes], int] = LruCache(cache_size)

    def check(self, prepared: PreparedOperation, variables: Mapping[str, Any]) -> int:
        """The estimate; RequestError `COST_LIMIT_EXCEEDED` when it is over the limit."""
        key = self._key(prepared, variables)
        cost = self._known.get(key) if key is not None else None
        if cost is None:
            try:
                cost = self.estimator.estimate(prepared.operation, prepared.fragments, variables)
            except SlicingArgumentRequired as refused:
                raise RequestError.single(
                    RequestFailure.VALIDATION, str(refused), refused.code
                ) from refused
            if key is not None:
                self._known.put(key, cost)
        if cost > self.max_cost:
            raise RequestError(
                RequestFailure.VALIDATION,
                [
                    {
                        "message": f"The operation's estimated cost is {cost}; the limit "
                        f"(max cost) is {self.max_cost}.",
                        "extensions": {
                            "code": "COST_LIMIT_EXCEEDED",
                            "cost": {"estimated": cost, "max": self.max_cost},
                        },
                    }
                ],
            )
        return cost

    def _key(
        self, prepared: PreparedOperation, variables: Mapping[str, Any]
    ) -> tuple[str, str | None, bytes] | None:
        """What the estimate depends on; None when a value read is not JSON (not kept)."""
        operation = (prepared.hash, prepared.name)
        read = self._read.get(operation)
        if read is None:
            read = tuple(
                sorted(
                    {
                        *prepared.condition_variables,
                        *_variables_of_arguments(prepared.document, self._slicing),
                    }
                )
            )
            self._read.put(operation, read)
        if not read:
            return (*operation, b"")
        # A variable left out and one given as null are told apart (a null
        # slicing argument is not given, a missing one is).
        values = {name: variables[name] for name in read if name in variables}
        try:
            return (*operation, orjson.dumps(values, option=orjson.OPT_SORT_KEYS))
        except TypeError:
            return None


def _variables_of_arguments(document: DocumentNode, names: frozenset[str]) -> set[str]:
    """Variables used anywhere in the values of field arguments called one of `names`."""
    found: set[str] = set()

    def value(node: ValueNode) -> None:
        if isinstance(node, VariableNode):
            found.add(node.name.value)
        elif isinstance(node, ListValueNode):
            for item in node.values:
                value(item)
        elif isinstance(node, ObjectValueNode):
            for field in node.fields:
                value(field.value)

    def arguments(given: tuple[ArgumentNode, ...] | None) -> None:
        for argument in given or ():
            if argument.name.value in names:
                value(argument.value)

    def walk(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                arguments(selection.arguments)
            if isinstance(selection, (FieldNode, InlineFragmentNode)):
                walk(selection.selection_set)

    for definition in document.definitions:
        if isinstance(definition, (OperationDefinitionNode, FragmentDefinitionNode)):
            walk(definition.selection_set)
    return found
