"""How a subgraph answers the failures its resolvers raise: a DomainError from a query
is a GraphQL error with its code, at its place in the response; anything else is a
bare internal error."""

from __future__ import annotations

import enum

import strawberry

from subgraphs.platform.errors import DomainError
from subgraphs.platform.schema import federation_schema


class Code(enum.StrEnum):
    INVALID_INPUT = "INVALID_INPUT"


@strawberry.type
class Shelf:
    @strawberry.field
    def items(self, first: int) -> list[int]:
        if first < 1:
            raise DomainError(Code.INVALID_INPUT, "first must be positive", ["first"])
        return list(range(first))


@strawberry.type
class Query:
    @strawberry.field
    def shelf(self) -> Shelf:
        return Shelf()

    @strawberry.field
    def broken(self) -> int:
        raise RuntimeError("SELECT secret FROM vault")


SCHEMA = federation_schema(query=Query, error_codes=Code)


async def test_a_domain_error_of_a_query_keeps_its_code_field_and_place() -> None:
    result = await SCHEMA.execute("{ shelf { ok: items(first: 2) bad: items(first: 0) } }")

    assert result.data is None  # `bad` is non-null, so its parent goes too
    assert [error.formatted for error in result.errors or []] == [
        {
            "message": "first must be positive",
            "locations": [{"line": 1, "column": 31}],
            "path": ["shelf", "bad"],
            "extensions": {"code": "INVALID_INPUT", "field": ["first"]},
        }
    ]


async def test_an_unexpected_error_is_masked() -> None:
    result = await SCHEMA.execute("{ broken }")

    [error] = result.errors or []
    assert error.message == "internal server error"
    assert error.path == ["broken"]
    assert error.extensions is not None
    assert error.extensions["code"] == "INTERNAL_SERVER_ERROR"
    assert "vault" not in str(error.formatted)
