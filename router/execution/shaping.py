"""Shaping the response: the client's operation walked over the merged data.

Only the fields the client selected come out, in the order it selected them,
under its aliases; keys the planner added (keys, `__typename`, @requires
fields) stay behind. `__typename` is answered from the root type or from the
object's runtime type. Nulls propagate as the GraphQL specification says: a
null in a non-null position makes the nearest nullable parent null, with a
"Cannot return null" error unless another error already explains that path.
Enum values the API schema does not have (e.g. @inaccessible) become null
with an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    is_abstract_type,
)

from router.execution.coverage import ErrorCoverage
from router.execution.fields import FieldCollector, RuntimeType
from router.operation.prepared import INTROSPECTION_ROOT_FIELDS, PreparedOperation

# A linked response path, (parent, key); materialized only for errors.
LinkedPath = tuple[Any, str | int] | None


class _Bubble:
    """A null reached a non-null position: the nearest nullable parent becomes null."""


BUBBLE = _Bubble()


def materialize(path: LinkedPath) -> list[str | int]:
    keys: list[str | int] = []
    while path is not None:
        path, key = path
        keys.append(key)
    keys.reverse()
    return keys


class ResponseShaper:
    def __init__(
        self,
        schema: GraphQLSchema,
        prepared: PreparedOperation,
        variables: Mapping[str, Any],
        coverage: ErrorCoverage,
    ) -> None:
        self.schema = schema
        self.prepared = prepared
        self.collector = FieldCollector(schema, prepared, variables)
        self.coverage = coverage
        self.errors: list[dict[str, Any]] = []

    def shape(self, data: dict[str, Any]) -> dict[str, Any] | None:
        root = self.schema.get_root_type(self.prepared.operation.operation)
        if root is None:
            return None
        shaped = self._object(root, [self.prepared.operation.selection_set], data, None, True)
        return None if isinstance(shaped, _Bubble) else shaped

    def _object(
        self,
        object_type: RuntimeType,
        selection_sets: list[Any],
        value: dict[str, Any],
        path: LinkedPath,
        root: bool = False,
    ) -> dict[str, Any] | _Bubble:
        shaped: dict[str, Any] = {}
        fields = object_type.fields
        for key, nodes in self.collector.collect(object_type, selection_sets).items():
            name = nodes[0].name.value
            if name == "__typename":
                shaped[key] = object_type.name
                continue
            if root and name in INTROSPECTION_ROOT_FIELDS:
                shaped[key] = value.get(key)  # already shaped by graphql-core
                continue
            field = fields.get(name)
            if field is None:
                continue
            completed = self._complete(
                field.type, value.get(key), (path, key), nodes, object_type.name
            )
            if isinstance(completed, _Bubble):
                return completed
            shaped[key] = completed
        return shaped

    def _complete(
        self,
        type_: GraphQLOutputType,
        value: Any,
        path: LinkedPath,
        nodes: list[FieldNode],
        parent: str,
    ) -> Any:
        """The shaped value, None, or BUBBLE when a null must propagate upwards."""
        if isinstance(type_, GraphQLNonNull):
            if value is None:
                self._null_error(path, parent, nodes[0].name.value)
                return BUBBLE
            completed = self._complete_value(type_.of_type, value, path, nodes, parent)
            return BUBBLE if completed is None else completed
        if value is None:
            return None
        completed = self._complete_value(type_, value, path, nodes, parent)
        return None if completed is BUBBLE else completed

    def _complete_value(
        self,
        type_: Any,
        value: Any,
        path: LinkedPath,
        nodes: list[FieldNode],
        parent: str,
    ) -> Any:
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list):
                return self._error(path, f"Expected a list for {parent}.{nodes[0].name.value}.")
            items = []
            for index, item in enumerate(value):
                completed = self._complete(type_.of_type, item, (path, index), nodes, parent)
                if completed is BUBBLE:
                    return BUBBLE
                items.append(completed)
            return items
        if isinstance(type_, GraphQLEnumType):
            if isinstance(value, str) and value in type_.values:
                return value
            shown = orjson.dumps(value).decode()
            return self._error(path, f'Enum "{type_.name}" cannot represent value: {shown}')
        if isinstance(type_, GraphQLObjectType):
            if not isinstance(value, dict):
                return self._error(path, f"Expected an object for {parent}.{nodes[0].name.value}.")
            return self._object(type_, _sub_selections(nodes), value, path)
        if is_abstract_type(type_):
            if not isinstance(value, dict):
                return self._error(path, f"Expected an object for {parent}.{nodes[0].name.value}.")
            runtime = self._runtime_type(type_, value)
            if runtime is None:
                typename = value.get("__typename")
                return self._error(
                    path, f"Could not resolve the runtime type of {type_.name} ({typename!r})."
                )
            return self._object(runtime, _sub_selections(nodes), value, path)
        return value  # scalars pass as the subgraph serialized them

    def _runtime_type(self, abstract: Any, value: dict[str, Any]) -> RuntimeType | None:
        typename = value.get("__typename")
        runtime = self.schema.get_type(typename) if isinstance(typename, str) else None
        if isinstance(runtime, GraphQLObjectType) and self.schema.is_sub_type(abstract, runtime):
            return runtime
        if isinstance(abstract, GraphQLInterfaceType) and typename in (None, abstract.name):
            # An @interfaceObject subgraph knows objects only as the interface.
            # The planner asks the interface's owner for the concrete type
            # whenever the selection depends on it; when it did not, the
            # interface's own fields are all the client selected.
            return abstract
        return None

    def _null_error(self, path: LinkedPath, parent: str, field_name: str) -> None:
        keys = materialize(path)
        if not self.coverage.covers(tuple(keys)):
            message = f"Cannot return null for non-nullable field {parent}.{field_name}."
            self.errors.append({"message": message, "path": keys})

    def _error(self, path: LinkedPath, message: str) -> None:
        keys = materialize(path)
        self.coverage.add(keys)
        self.errors.append({"message": message, "path": keys})


def _sub_selections(nodes: list[FieldNode]) -> list[Any]:
    return [node.selection_set for node in nodes if node.selection_set is not None]
