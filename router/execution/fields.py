"""CollectFields() of the GraphQL specification, for shaping responses.

Groups the selections that apply to an object of a given runtime type by
response key, in document order: fragments whose type condition the type
satisfies are flattened in, @skip/@include evaluated. The result depends only
on the selection sets, the type and the values of the variables @skip and
@include use, so it is memoized on the prepared operation across requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    DirectiveNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    is_abstract_type,
)

from graphql_budget.conditions import included
from router.operation.prepared import PreparedOperation

CollectedFields = dict[str, list[FieldNode]]
# Normally an object type; an interface when the data cannot say which object
# (see ResponseShaper._runtime_type).
RuntimeType = GraphQLObjectType | GraphQLInterfaceType

# Memo entries kept per operation; past this the memo starts over, so that
# many combinations of condition variables cannot grow it without bound.
MAX_MEMO_ENTRIES = 4096


class FieldCollector:
    def __init__(
        self, schema: GraphQLSchema, prepared: PreparedOperation, variables: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = prepared.fragments
        self.variables = variables
        self.signature = tuple(bool(variables.get(n)) for n in prepared.condition_variables)
        self.memo: dict[Any, CollectedFields] = prepared.collected
        if len(self.memo) > MAX_MEMO_ENTRIES:
            self.memo.clear()

    def collect(
        self, runtime_type: RuntimeType, selection_sets: Sequence[SelectionSetNode]
    ) -> CollectedFields:
        key = (self.signature, runtime_type.name, *map(id, selection_sets))
        found = self.memo.get(key)
        if found is None:
            found = {}
            visited: set[str] = set()
            for selection_set in selection_sets:
                self._collect(runtime_type, selection_set, found, visited)
            self.memo[key] = found
        return found

    def _collect(
        self,
        runtime_type: RuntimeType,
        selection_set: SelectionSetNode,
        fields: CollectedFields,
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives and not self._included(selection.directives):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, runtime_type):
                    self._collect(runtime_type, selection.selection_set, fields, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._applies(fragment.type_condition.name.value, runtime_type):
                    self._collect(runtime_type, fragment.selection_set, fields, visited)

    def _applies(self, condition: str, runtime_type: RuntimeType) -> bool:
        if condition == runtime_type.name:
            return True
        abstract = self.schema.get_type(condition)
        return is_abstract_type(abstract) and self.schema.is_sub_type(abstract, runtime_type)

    def _included(self, directives: tuple[DirectiveNode, ...]) -> bool:
        return included(directives, self.variables)
