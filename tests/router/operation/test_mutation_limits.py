"""Root fields per mutation: aliasing one mutation many times is refused before planning."""

from __future__ import annotations

import pytest
from graphql import build_schema

from router.config import RouterConfig
from router.operation import DocumentCache, DocumentLimits, RequestError

SCHEMA = build_schema(
    """
    type Query { ok: Boolean }
    type Mutation { register(name: String!): Boolean }
    """
)


def _cache(max_roots: int = 5) -> DocumentCache:
    return DocumentCache(SCHEMA, DocumentLimits(15_000, 50, 200, 4_000, max_roots), 100)


def _aliased(count: int) -> str:
    return " ".join(f'r{n}: register(name: "n{n}")' for n in range(count))


def test_fifty_aliased_registrations_are_refused() -> None:
    with pytest.raises(RequestError) as raised:
        _cache().prepare(f"mutation Flood {{ {_aliased(50)} }}")

    assert raised.value.errors == [
        {
            "message": "Mutation 'Flood' runs 50 root fields; the limit is 5 per mutation.",
            "extensions": {"code": "MAX_MUTATION_ROOT_FIELDS_EXCEEDED"},
        }
    ]


def test_the_limit_itself_passes_and_typename_does_nothing() -> None:
    prepared = _cache().prepare(f"mutation {{ __typename {_aliased(5)} }}")
    assert len(prepared.operations) == 1


def test_fields_in_root_fragments_count() -> None:
    document = (
        f"mutation {{ ...More ... on Mutation {{ {_aliased(2)} }} }} "
        f'fragment More on Mutation {{ x: register(name: "x") y: register(name: "y") }}'
    )
    _cache(max_roots=4).prepare(document)
    with pytest.raises(RequestError):
        _cache(max_roots=3).prepare(document)


def test_queries_are_not_counted_and_the_limit_is_configured() -> None:
    _cache(max_roots=1).prepare("{ a: ok b: ok c: ok }")
    assert RouterConfig().max_mutation_root_fields == 5
    assert RouterConfig(max_mutation_root_fields=2).max_mutation_root_fields == 2
