"""Selection sets written as text: the field sets of `@key`, `@requires` and `@provides`,
and the operations the planner writes for its fetches."""

from __future__ import annotations

from graphql import GraphQLError, OperationDefinitionNode, SelectionSetNode, parse


def parse_selection_set(text: str) -> SelectionSetNode:
    """The selection set of the first operation in `text` (`{ id sku }` is one).

    Raises GraphQLError when `text` does not parse or does not start with an operation.
    """
    definition = parse(text, no_location=True).definitions[0]
    if not isinstance(definition, OperationDefinitionNode):
        raise GraphQLError(f"expected an operation, found {definition.kind}")
    return definition.selection_set
