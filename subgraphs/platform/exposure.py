"""What a subgraph shows of its schema in production: no introspection, no "Did you mean".

Subgraph ports are reachable, and hints such as `Did you mean 'reserveStock'?`
name internal fields to whoever guesses near them. With SHOPGRAPH_ENV=production
(`RequestContext.production`) introspection is refused and suggestions are cut
from every error message. The router reads the subgraph's schema through
`_service { sdl }`, which is not introspection and keeps working.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLError, validate
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

# graphql-core appends hints as " Did you mean 'a', 'b', or 'c'?" (names hold no "?").
SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class HideSchema(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        result = self.execution_context.result
        if not getattr(context, "production", False) or result is None:
            return
        document = self.execution_context.graphql_document
        schema = self.execution_context.schema._schema
        if document is not None and validate(schema, document, [NoSchemaIntrospectionCustomRule]):
            result.data = None
            result.errors = [
                GraphQLError(
                    "Introspection is disabled.", extensions={"code": "INTROSPECTION_DISABLED"}
                )
            ]
            return
        if result.errors:
            result.errors = [_without_suggestions(error) for error in result.errors]


def _without_suggestions(error: GraphQLError) -> GraphQLError:
    message = SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message,
        nodes=error.nodes,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )
