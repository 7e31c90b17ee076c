"""What a subgraph shows of its schema in production: no introspection, no "Did you mean".

Subgraph ports are reachable, and hints such as `Did you mean 'reserveStock'?`
name internal fields to whoever guesses near them. With SHOPGRAPH_ENV=production
(`RequestContext.production`) a document that introspects is refused before any
of it runs, and suggestions are cut from every error message. The router reads
the subgraph's schema through `_service { sdl }`, which is not introspection and
keeps working.

Whether a document asks for introspection is a validation of its own (90 us
for `{ __typename }`, 460 us for the router's checkout fetch), so each
schema's `IntrospectionVerdicts` remembers the answer by the document's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError, GraphQLSchema, validate
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from subgraphs.platform.limits import RecentlyUsed

# graphql-core appends hints as " Did you mean 'a', 'b', or 'c'?" (names hold no "?").
SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
# Distinct document texts whose verdict is remembered, per schema.
REMEMBERED_VERDICTS = 1000


class IntrospectionVerdicts:
    """Whether each document text asks for introspection, remembered (for one schema)."""

    def __init__(self, size: int = REMEMBERED_VERDICTS) -> None:
        self._verdicts: RecentlyUsed[str, bool] = RecentlyUsed(size)

    def asks(self, schema: GraphQLSchema, document: DocumentNode, query: str | None) -> bool:
        """The parsed document is the parser cache's for `query`, so the text stands for it."""
        verdict = self._verdicts.get(query) if query is not None else None
        if verdict is None:
            verdict = bool(validate(schema, document, [NoSchemaIntrospectionCustomRule]))
            if query is not None:
                self._verdicts.put(query, verdict)
        return verdict


class HideSchema(SchemaExtension):
    """Runs after `LimitOperations` (schema.py), whose validation it overrides."""

    def __init__(self, verdicts: IntrospectionVerdicts) -> None:
        super().__init__()
        self.verdicts = verdicts

    def on_validate(self) -> Iterator[None]:
        # Refused in validation's place, before anything runs: a document may hold
        # a mutation beside a query that introspects, and only the mutation be run.
        context = self.execution_context
        document = context.graphql_document
        if (
            document is not None
            and getattr(context.context, "production", False)
            and self.verdicts.asks(context.schema._schema, document, context.query)
        ):
            context.pre_execution_errors = [
                GraphQLError(
                    "Introspection is disabled.", extensions={"code": "INTROSPECTION_DISABLED"}
                )
            ]
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        production = getattr(self.execution_context.context, "production", False)
        if production and result is not None and result.errors:
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
