"""Introspection answered by the router: `__schema` and `__type` over the API schema.

The API schema has no federation machinery and no @inaccessible elements, so
graphql-core's own execution of the introspection fields shows clients exactly
what they may query. Only these root fields run through graphql-core; the
rest of the response is shaped by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLSchema, execute_sync

from router.operation.prepared import PreparedOperation


def introspect(
    schema: GraphQLSchema, prepared: PreparedOperation, variables: Mapping[str, Any] | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The introspection part of the response (by response key), and its errors."""
    if prepared.introspection is None:
        return {}, []
    result = execute_sync(
        schema,
        prepared.introspection,
        variable_values=dict(variables or {}),
        operation_name=prepared.name,
    )
    errors = [dict(error.formatted) for error in result.errors or ()]
    return dict(result.data or {}), errors
