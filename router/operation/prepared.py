"""A document parsed and validated once, and the operation a request selects in it.

Everything here is derived from the document alone, so it is computed once and
shared by every request sending the same document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    print_ast,
)

from router.operation.errors import RequestError, RequestFailure
from router.planning.plan import OperationKind

INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type"})


@dataclass(frozen=True, slots=True, eq=False)
class PreparedOperation:
    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: Mapping[str, FragmentDefinitionNode]
    kind: OperationKind
    hash: str  # of the document text
    name: str | None  # the operation's own name (None when anonymous)
    # The operation cut down to its root introspection fields (`__schema`,
    # `__type`), which the router answers itself; None when it has none.
    introspection: DocumentNode | None
    # Variables that @skip/@include depend on: the field collection of a
    # response depends only on their values, so shaping can reuse it.
    condition_variables: tuple[str, ...]
    # Field collections reused across requests (see router.execution.fields).
    collected: dict[Any, Any] = field(default_factory=dict)
    # Response shapes by @skip/@include values (see router.execution.shapes).
    shapes: dict[tuple[bool, ...], Any] = field(default_factory=dict)
    # The usage log's field coordinates, once computed (router.operation.coordinates).
    coordinates: list[tuple[str, ...]] = field(default_factory=list)


@dataclass(frozen=True, slots=True, eq=False)
class PreparedDocument:
    document: DocumentNode
    hash: str
    operations: tuple[OperationDefinitionNode, ...]
    fragments: Mapping[str, FragmentDefinitionNode]
    _selected: dict[str | None, PreparedOperation] = field(default_factory=dict)

    def select(self, operation_name: str | None) -> PreparedOperation:
        """GetOperation() of the GraphQL specification, memoized per name."""
        found = self._selected.get(operation_name)
        if found is None:
            found = self._prepare(_get_operation(self.operations, operation_name))
            self._selected[operation_name] = found
        return found

    def _prepare(self, operation: OperationDefinitionNode) -> PreparedOperation:
        return PreparedOperation(
            document=self.document,
            operation=operation,
            fragments=self.fragments,
            kind=operation.operation.value,
            hash=self.hash,
            name=operation.name.value if operation.name else None,
            introspection=_introspection_document(operation, self.fragments),
            condition_variables=_condition_variables(self.document),
        )


def _get_operation(
    operations: tuple[OperationDefinitionNode, ...], name: str | None
) -> OperationDefinitionNode:
    if name is None:
        if len(operations) == 1:
            return operations[0]
        message = (
            "Must provide operation name if query contains multiple operations."
            if operations
            else "Must provide an operation."
        )
        raise RequestError.single(RequestFailure.OPERATION, message)
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    raise RequestError.single(RequestFailure.OPERATION, f"Unknown operation named '{name}'.")


def _introspection_document(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> DocumentNode | None:
    if operation.operation.value != "query":
        return None
    kept = _introspection_selections(operation.selection_set, fragments, set())
    if kept is None:
        return None
    # Fragments stay: introspection fields may spread them below the root.
    cut = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=operation.variable_definitions,
        directives=operation.directives,
        selection_set=kept,
    )
    return DocumentNode(definitions=(cut, *fragments.values()))


def _introspection_selections(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: set[str],
) -> SelectionSetNode | None:
    """The root selections that are (or contain) `__schema` / `__type`, fragments inlined."""
    kept: list[SelectionNode] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value in INTROSPECTION_ROOT_FIELDS:
                kept.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            inner = _introspection_selections(selection.selection_set, fragments, seen)
            if inner is not None:
                kept.append(
                    InlineFragmentNode(
                        type_condition=selection.type_condition,
                        directives=selection.directives,
                        selection_set=inner,
                    )
                )
        elif isinstance(selection, FragmentSpreadNode):
            # Once per fragment and conditions: this keeps fragments that
            # spread each other twice from doubling the walk.
            definition = fragments.get(selection.name.value)
            spread = " ".join([selection.name.value, *map(print_ast, selection.directives or ())])
            if definition is None or spread in seen:
                continue
            seen.add(spread)
            inner = _introspection_selections(definition.selection_set, fragments, seen)
            if inner is not None:
                kept.append(
                    InlineFragmentNode(
                        type_condition=definition.type_condition,
                        directives=selection.directives,
                        selection_set=inner,
                    )
                )
    return SelectionSetNode(selections=tuple(kept)) if kept else None


def _condition_variables(document: DocumentNode) -> tuple[str, ...]:
    names: set[str] = set()

    def visit(directives: tuple[DirectiveNode, ...] | None) -> None:
        for directive in directives or ():
            if directive.name.value in ("skip", "include"):
                for argument in directive.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)

    def walk(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            visit(selection.directives)
            if isinstance(selection, (FieldNode, InlineFragmentNode)):
                walk(selection.selection_set)

    for definition in document.definitions:
        if isinstance(definition, (OperationDefinitionNode, FragmentDefinitionNode)):
            walk(definition.selection_set)
    return tuple(sorted(names))
