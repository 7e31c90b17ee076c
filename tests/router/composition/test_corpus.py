"""The composition corpus: each case's subgraphs compose to exactly the expected
supergraph, or fail with exactly the expected errors (code, coordinate, subgraphs)."""

from __future__ import annotations

import pytest
from graphql import build_ast_schema, parse

from router.composition import compose
from tests.router.composition.corpus import Case, body, error_keys, load_cases

CASES = load_cases()
VALID = [case for case in CASES if case.valid]


def test_corpus_is_large_and_balanced() -> None:
    assert len(CASES) >= 60
    assert len(VALID) >= 25
    assert len(CASES) - len(VALID) >= 35


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case(case: Case) -> None:
    result = compose(case.subgraphs)
    if case.valid:
        assert result.errors == ()
        assert result.supergraph_sdl is not None
        assert body(result.supergraph_sdl) == case.supergraph
    else:
        assert result.supergraph_sdl is None
        assert error_keys(result.errors) == case.errors
        assert all(error.message for error in result.errors)


@pytest.mark.parametrize("case", VALID, ids=[case.name for case in VALID])
def test_supergraph_is_valid_graphql(case: Case) -> None:
    result = compose(case.subgraphs)
    assert result.supergraph_sdl is not None
    schema = build_ast_schema(parse(result.supergraph_sdl))
    assert schema.query_type is not None
    assert schema.query_type.name == "Query"
