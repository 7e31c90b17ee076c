"""REST parameters to GraphQL variables: strings read by the variable's declared type.

Path and query parameters arrive as text: an `Int` variable gets `int("2")`,
a `Boolean` gets `true`/`false`, lists take repeated parameters, and `a.b`
sets field `b` of input variable `a`. Whatever cannot be read is a
`BadParameter`; the gateway's own variable coercion checks the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    type_from_ast,
)


class BadParameter(ValueError):
    pass


def variable_types(schema: GraphQLSchema, operation: OperationDefinitionNode) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        found[definition.variable.name.value] = type_from_ast(schema, definition.type)
    return found


def _read(text: str, type_: GraphQLInputType, name: str) -> Any:
    if isinstance(type_, GraphQLNonNull):
        return _read(text, type_.of_type, name)
    if isinstance(type_, GraphQLScalarType):
        try:
            if type_.name == "Int":
                return int(text)
            if type_.name == "Float":
                return float(text)
        except ValueError as error:
            raise BadParameter(f"'{name}' must be a number") from error
        if type_.name == "Boolean":
            if text not in ("true", "false"):
                raise BadParameter(f"'{name}' must be true or false")
            return text == "true"
        return text
    if isinstance(type_, GraphQLEnumType):
        return text
    raise BadParameter(f"'{name}' cannot be given as a parameter")


def read_parameters(
    params: Mapping[str, list[str]], names: Mapping[str, str], types: Mapping[str, Any]
) -> dict[str, Any]:
    """Variables from text parameters (each with all its values), renamed through `names`."""
    variables: dict[str, Any] = {}
    for param, values in params.items():
        variable, _, member = names.get(param, param).partition(".")
        type_ = types.get(variable)
        if type_ is None:
            raise BadParameter(f"unknown parameter '{param}'")
        if member:
            target = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
            if not isinstance(target, GraphQLInputObjectType) or member not in target.fields:
                raise BadParameter(f"unknown parameter '{param}'")
            nested = variables.setdefault(variable, {})
            nested[member] = _value(values, target.fields[member].type, param)
        else:
            variables[variable] = _value(values, type_, param)
    return variables


def _value(values: list[str], type_: GraphQLInputType, name: str) -> Any:
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        return [_read(v, inner.of_type, name) for v in values]
    if len(values) > 1:
        raise BadParameter(f"'{name}' takes one value")
    return _read(values[0], inner, name)
