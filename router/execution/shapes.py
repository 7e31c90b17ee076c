"""Response shapes: what shaping does at each object of an operation, worked out once.

For an object of a given runtime type under a given set of selection sets,
the response keys to write, in order, and how to complete each (a leaf taken
as it is, `__typename`, or a value to walk further). Shapes hang from the
field that leads to them, one per runtime type met there, so shaping the
thousandth object at a position costs no field collection and no look-up by
selection sets. They are kept on the prepared operation per set of
@skip/@include values (`router.execution.fields` collects the fields).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from graphql import (
    FieldNode,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLScalarType,
    SelectionSetNode,
)

from router.execution.fields import FieldCollector, RuntimeType
from router.operation.prepared import INTROSPECTION_ROOT_FIELDS


class Kind(Enum):
    LEAF = 1  # a nullable scalar: the subgraph's value as it is
    REQUIRED_LEAF = 2  # a non-null scalar: a null there propagates
    TYPENAME = 3  # `__typename`: the runtime type's name
    INTROSPECTION = 4  # a root `__schema` / `__type`, already shaped by graphql-core
    COMPOSITE = 5  # an object, list, enum or abstract type: walked further


class FieldShape:
    __slots__ = ("children", "key", "kind", "name", "nodes", "parent", "selections", "type")

    def __init__(
        self, key: str, kind: Kind, nodes: list[FieldNode], parent: str, type_: Any
    ) -> None:
        self.key = key
        self.kind = kind
        self.nodes = nodes
        self.name = nodes[0].name.value
        self.parent = parent  # the name of the type the field was selected on
        self.type: GraphQLOutputType = type_
        self.selections: list[SelectionSetNode] = [
            node.selection_set for node in nodes if node.selection_set is not None
        ]
        # The shape of the objects found at this field, by runtime type name.
        self.children: dict[str, ObjectShape] = {}


class ObjectShape:
    __slots__ = ("fields", "type_name")

    def __init__(self, type_name: str, fields: list[FieldShape]) -> None:
        self.type_name = type_name
        self.fields = fields


def object_shape(
    collector: FieldCollector,
    runtime_type: RuntimeType,
    selection_sets: list[SelectionSetNode],
    root: bool = False,
) -> ObjectShape:
    fields: list[FieldShape] = []
    definitions = runtime_type.fields
    for key, nodes in collector.collect(runtime_type, selection_sets).items():
        name = nodes[0].name.value
        if name == "__typename":
            fields.append(FieldShape(key, Kind.TYPENAME, nodes, runtime_type.name, None))
            continue
        if root and name in INTROSPECTION_ROOT_FIELDS:
            fields.append(FieldShape(key, Kind.INTROSPECTION, nodes, runtime_type.name, None))
            continue
        definition = definitions.get(name)
        if definition is None:
            continue
        type_ = definition.type
        required = isinstance(type_, GraphQLNonNull)
        named = type_.of_type if required else type_
        if isinstance(named, GraphQLScalarType):
            kind = Kind.REQUIRED_LEAF if required else Kind.LEAF
        else:
            kind = Kind.COMPOSITE
        fields.append(FieldShape(key, kind, nodes, runtime_type.name, type_))
    return ObjectShape(runtime_type.name, fields)


def child_shape(
    collector: FieldCollector, field: FieldShape, runtime_type: RuntimeType
) -> ObjectShape:
    """The shape of an object of `runtime_type` found at `field` (made on first use)."""
    found = field.children.get(runtime_type.name)
    if found is None:
        found = field.children[runtime_type.name] = object_shape(
            collector, runtime_type, field.selections
        )
    return found
