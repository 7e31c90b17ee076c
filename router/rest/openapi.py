"""The OpenAPI 3.1 document of the REST routes, generated from their operations' types.

Parameters and request bodies come from the variables (input objects become
`components/schemas`); each response schema follows the root field's
selection set, so it describes exactly the JSON the route answers. Nullable
GraphQL types are `anyOf` the type and `null`.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from router.rest.mapping import RestConfig, RestRoute
from router.rest.params import variable_types

SCALARS: dict[str, dict[str, Any]] = {
    "Int": {"type": "integer"},
    "Float": {"type": "number"},
    "String": {"type": "string"},
    "ID": {"type": "string"},
    "Boolean": {"type": "boolean"},
    "Decimal": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"},
    "DateTime": {"type": "string", "format": "date-time"},
}
ERROR_STATUSES = ("400", "401", "403", "404", "409")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


class _Builder:
    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.components: dict[str, Any] = {}

    def input(self, type_: GraphQLType, required: bool = False) -> dict[str, Any]:
        if isinstance(type_, GraphQLNonNull):
            return self.input(type_.of_type, True)
        schema: dict[str, Any]
        if isinstance(type_, GraphQLList):
            schema = {"type": "array", "items": self.input(type_.of_type)}
        elif isinstance(type_, GraphQLInputObjectType):
            if type_.name not in self.components:
                self.components[type_.name] = {}  # placeholder: recursive input types
                properties = {n: self.input(f.type) for n, f in type_.fields.items()}
                needed = [
                    n
                    for n, f in type_.fields.items()
                    if isinstance(f.type, GraphQLNonNull) and f.default_value is None
                ]
                component: dict[str, Any] = {"type": "object", "properties": properties}
                if needed:
                    component["required"] = sorted(needed)
                self.components[type_.name] = component
            schema = {"$ref": f"#/components/schemas/{type_.name}"}
        else:
            schema = self.leaf(type_)
        return schema if required else _nullable(schema)

    def leaf(self, type_: GraphQLType) -> dict[str, Any]:
        if isinstance(type_, GraphQLEnumType):
            return {"type": "string", "enum": list(type_.values)}
        if isinstance(type_, GraphQLScalarType):
            return dict(SCALARS.get(type_.name, {}))
        return {}

    def output(self, type_: GraphQLType, selection: SelectionSetNode | None) -> dict[str, Any]:
        if isinstance(type_, GraphQLNonNull):
            return self._output(type_.of_type, selection)
        return _nullable(self._output(type_, selection))

    def _output(self, type_: GraphQLType, selection: SelectionSetNode | None) -> dict[str, Any]:
        if isinstance(type_, GraphQLList):
            return {"type": "array", "items": self.output(type_.of_type, selection)}
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType) and selection is not None:
            return self.selection(type_, selection)
        return self.leaf(type_)

    def selection(
        self, parent: GraphQLObjectType | GraphQLInterfaceType, selection: SelectionSetNode
    ) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        for node in selection.selections:
            if isinstance(node, FieldNode) and node.name.value == "__typename":
                properties[(node.alias or node.name).value] = {"type": "string"}
            elif isinstance(node, FieldNode):
                field = parent.fields[node.name.value]
                properties[(node.alias or node.name).value] = self.output(
                    field.type, node.selection_set
                )
            elif isinstance(node, InlineFragmentNode):
                properties.update(self.selection(parent, node.selection_set)["properties"])
        return {"type": "object", "properties": properties, "required": sorted(properties)}


def _operation(route: RestRoute) -> OperationDefinitionNode:
    document = parse(route.body)
    return next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))


def _route_spec(builder: _Builder, route: RestRoute) -> dict[str, Any]:
    operation = _operation(route)
    types = variable_types(builder.schema, operation)
    parameter_of = {variable: param for param, variable in route.query_names.items()}
    body_names = set(types) if route.body_variable == "variables" else {route.body_variable}
    parameters: list[dict[str, Any]] = []
    for name in route.path_params:
        schema = builder.input(types[name], True)
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    for name, type_ in types.items():
        if name in route.path_params or name in body_names:
            continue
        required = isinstance(type_, GraphQLNonNull) and not _has_default(operation, name)
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(inner, GraphQLInputObjectType):
            # Input objects go as one parameter per field: `filter.inStock=true`.
            for member, field in inner.fields.items():
                member_schema = builder.input(field.type, True)
                parameters.append(
                    {"name": f"{name}.{member}", "in": "query", "schema": member_schema}
                )
            continue
        parameters.append(
            {
                "name": parameter_of.get(name, name),
                "in": "query",
                "required": required,
                "schema": builder.input(type_, True),
            }
        )
    root = next(s for s in operation.selection_set.selections if isinstance(s, FieldNode))
    root_type = builder.schema.get_root_type(operation.operation)
    if root_type is None:
        raise ValueError(f"the schema has no {operation.operation.value} type")
    success = builder.output(root_type.fields[root.name.value].type, root.selection_set)
    success = success.get("anyOf", [success])[0]  # a null root field answers 404
    success.get("properties", {}).pop("errors", None)  # UserErrors answer error statuses
    if "required" in success:
        success["required"] = [r for r in success["required"] if r != "errors"]
    spec: dict[str, Any] = {
        "operationId": operation.name.value if operation.name else route.document,
        "summary": f"Runs the trusted document {route.document}.",
        "parameters": parameters,
        "responses": {
            str(route.status): {
                "description": "The operation's result.",
                "content": {"application/json": {"schema": success}},
            },
            **{s: {"$ref": "#/components/responses/Error"} for s in ERROR_STATUSES},
        },
    }
    if route.body_variable is not None:
        if route.body_variable == "variables":
            body = {
                "type": "object",
                "properties": {
                    n: builder.input(t) for n, t in types.items() if n not in route.path_params
                },
            }
        else:
            body = builder.input(types[route.body_variable], True)
        spec["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return spec


def _has_default(operation: OperationDefinitionNode, name: str) -> bool:
    return any(
        d.variable.name.value == name and d.default_value is not None
        for d in operation.variable_definitions or ()
    )


def openapi_document(config: RestConfig, schema: GraphQLSchema) -> dict[str, Any]:
    builder = _Builder(schema)
    paths: dict[str, dict[str, Any]] = {}
    for route in config.routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _route_spec(builder, route)
    error = {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "field": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["code", "message"],
    }
    errors_body = {
        "type": "object",
        "properties": {
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Error"}}
        },
        "required": ["errors"],
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "shopgraph REST API", "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": {**builder.components, "Error": error, "ErrorBody": errors_body},
            "responses": {
                "Error": {
                    "description": "The errors, with the status their code maps to.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                    },
                }
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{}, {"bearer": []}],
    }
