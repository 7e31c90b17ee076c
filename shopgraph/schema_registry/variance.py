"""Whether a changed type still fits: readers of an output, writers of an input.

An output may narrow (`Int` -> `Int!`: readers get what they always handled);
an input may widen (`Int!` -> `Int`: what writers sent is still accepted).
"""

from __future__ import annotations

from graphql import GraphQLList, GraphQLNonNull, GraphQLType


def safe_output(old: GraphQLType, new: GraphQLType) -> bool:
    """Whether every value of `new` is a value readers of `old` accept."""
    if isinstance(old, GraphQLNonNull):
        return isinstance(new, GraphQLNonNull) and safe_output(old.of_type, new.of_type)
    if isinstance(new, GraphQLNonNull):
        return safe_output(old, new.of_type)
    if isinstance(old, GraphQLList):
        return isinstance(new, GraphQLList) and safe_output(old.of_type, new.of_type)
    return not isinstance(new, GraphQLList) and getattr(old, "name", None) == getattr(
        new, "name", None
    )


def safe_input(old: GraphQLType, new: GraphQLType) -> bool:
    """Whether every value writers sent for `old` is still accepted by `new`."""
    if isinstance(old, GraphQLNonNull):
        inner = new.of_type if isinstance(new, GraphQLNonNull) else new
        return safe_input(old.of_type, inner)
    if isinstance(new, GraphQLNonNull):
        return False
    if isinstance(old, GraphQLList):
        return isinstance(new, GraphQLList) and safe_input(old.of_type, new.of_type)
    return not isinstance(new, GraphQLList) and getattr(old, "name", None) == getattr(
        new, "name", None
    )
