"""Variable coercion: a request's raw variables against the operation's definitions.

graphql-core's CoerceVariableValues() does the work against the API schema, so
inaccessible enum values and input fields are refused as clients see them.
The coerced values (defaults filled in) are what subgraphs receive, and what
`@skip` / `@include` are decided by (`included`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import BooleanValueNode, DirectiveNode, GraphQLSchema, VariableNode
from graphql.execution.values import get_variable_values

from router.operation.errors import RequestFailure, graphql_errors
from router.operation.prepared import PreparedOperation

MAX_COERCION_ERRORS = 50


def coerce_variables(
    schema: GraphQLSchema,
    prepared: PreparedOperation,
    raw: Mapping[str, Any] | None,
    hide_suggestions: bool = False,
) -> dict[str, Any]:
    definitions = prepared.operation.variable_definitions or ()
    if not definitions:
        return {}
    result = get_variable_values(
        schema,
        definitions,
        dict(raw or {}),
        max_errors=MAX_COERCION_ERRORS,
        hide_suggestions=hide_suggestions,
    )
    if isinstance(result, list):
        raise graphql_errors(RequestFailure.VARIABLES, result)
    return dict(result.coerced)


def included(directives: tuple[DirectiveNode, ...] | None, variables: Mapping[str, Any]) -> bool:
    """Whether `@skip` / `@include` keep a selection, under coerced `variables`."""
    for directive in directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        value = directive.arguments[0].value if directive.arguments else None
        if isinstance(value, BooleanValueNode):
            flag = value.value
        elif isinstance(value, VariableNode):
            flag = bool(variables.get(value.name.value))
        else:
            continue
        if flag == (name == "skip"):
            return False
    return True
