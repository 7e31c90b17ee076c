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
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    is_abstract_type,
)

from router.execution.coverage import ErrorCoverage, LinkedPath, materialize
from router.execution.fields import MAX_MEMO_ENTRIES, FieldCollector, RuntimeType
from router.execution.shapes import FieldShape, Kind, ObjectShape, child_shape, object_shape
from router.operation.prepared import PreparedOperation


class _Bubble:
    """A null reached a non-null position: the nearest nullable parent becomes null."""


BUBBLE = _Bubble()
LEAF, REQUIRED_LEAF = Kind.LEAF, Kind.REQUIRED_LEAF
TYPENAME, INTROSPECTION = Kind.TYPENAME, Kind.INTROSPECTION


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
        shapes = self.prepared.shapes
        shape: ObjectShape | None = shapes.get(self.collector.signature)
        if shape is None:
            if len(shapes) > MAX_MEMO_ENTRIES:
                shapes.clear()
            selections = [self.prepared.operation.selection_set]
            shape = object_shape(self.collector, root, selections, root=True)
            shapes[self.collector.signature] = shape
        shaped = self._object(shape, data, None)
        return None if isinstance(shaped, _Bubble) else shaped

    def _object(
        self, shape: ObjectShape, value: dict[str, Any], path: LinkedPath
    ) -> dict[str, Any] | _Bubble:
        shaped: dict[str, Any] = {}
        get = value.get
        for field in shape.fields:
            kind = field.kind
            key = field.key
            if kind is LEAF or kind is INTROSPECTION:
                shaped[key] = get(key)
            elif kind is REQUIRED_LEAF:
                leaf = get(key)
                if leaf is None:
                    self._null_error((path, key), field.parent, field.name)
                    return BUBBLE
                shaped[key] = leaf
            elif kind is TYPENAME:
                shaped[key] = shape.type_name
            else:
                completed = self._complete(field, field.type, get(key), (path, key))
                if isinstance(completed, _Bubble):
                    return completed
                shaped[key] = completed
        return shaped

    def _complete(
        self, field: FieldShape, type_: GraphQLOutputType, value: Any, path: LinkedPath
    ) -> Any:
        """The shaped value, None, or BUBBLE when a null must propagate upwards."""
        if isinstance(type_, GraphQLNonNull):
            if value is None:
                self._null_error(path, field.parent, field.name)
                return BUBBLE
            completed = self._complete_value(field, type_.of_type, value, path)
            return BUBBLE if completed is None else completed
        if value is None:
            return None
        completed = self._complete_value(field, type_, value, path)
        return None if completed is BUBBLE else completed

    def _complete_value(self, field: FieldShape, type_: Any, value: Any, path: LinkedPath) -> Any:
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list):
                return self._error(path, f"Expected a list for {field.parent}.{field.name}.")
            items = []
            item_type = type_.of_type
            for index, item in enumerate(value):
                completed = self._complete(field, item_type, item, (path, index))
                if completed is BUBBLE:
                    return BUBBLE
                items.append(completed)
            return items
        if isinstance(type_, GraphQLObjectType):
            if not isinstance(value, dict):
                return self._error(path, f"Expected an object for {field.parent}.{field.name}.")
            shape = field.children.get(type_.name)
            if shape is None:
                shape = child_shape(self.collector, field, type_)
            return self._object(shape, value, path)
        if isinstance(type_, GraphQLEnumType):
            if isinstance(value, str) and value in type_.values:
                return value
            shown = orjson.dumps(value).decode()
            return self._error(path, f'Enum "{type_.name}" cannot represent value: {shown}')
        if is_abstract_type(type_):
            if not isinstance(value, dict):
                return self._error(path, f"Expected an object for {field.parent}.{field.name}.")
            runtime = self._runtime_type(type_, value)
            if runtime is None:
                typename = value.get("__typename")
                return self._error(
                    path, f"Could not resolve the runtime type of {type_.name} ({typename!r})."
                )
            return self._object(child_shape(self.collector, field, runtime), value, path)
        return value  # scalars in lists pass as the subgraph serialized them

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
