"""Variable coercion: a request's raw variables against the operation's definitions.

graphql-core's CoerceVariableValues() does the work against the API schema, so
inaccessible enum values and input fields are refused as clients see them.
The coerced values (defaults filled in) are what subgraphs receive, and what
`@skip` / `@include` are decided by (`graphql_budget.conditions.included`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLSchema
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
