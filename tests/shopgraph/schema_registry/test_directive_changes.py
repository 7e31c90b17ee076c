"""Directive definitions on an API schema (composition keeps only composed ones, so these
compare API schemas directly): what clients may write in documents must not vanish."""

from __future__ import annotations

import pytest
from graphql import build_schema

from shopgraph.schema_registry.diff import diff_schemas

QUERY = "type Query { a: Int }\n"

CASES = [
    ("directive @trace on FIELD", "", ["BREAKING DIRECTIVE_REMOVED @trace"]),
    ("", "directive @trace on FIELD", ["SAFE DIRECTIVE_ADDED @trace"]),
    (
        "directive @trace on FIELD | QUERY",
        "directive @trace on FIELD",
        ["BREAKING DIRECTIVE_LOCATION_REMOVED @trace"],
    ),
    (
        "directive @trace on FIELD",
        "directive @trace(level: Int!) on FIELD",
        ["BREAKING DIRECTIVE_ARGUMENT_ADDED @trace(level:)"],
    ),
    (
        "directive @trace(level: Int) on FIELD",
        "directive @trace on FIELD",
        ["BREAKING DIRECTIVE_ARGUMENT_REMOVED @trace(level:)"],
    ),
]


@pytest.mark.parametrize(("before", "after", "expected"), CASES)
def test_directive_change(before: str, after: str, expected: list[str]) -> None:
    changes = diff_schemas(build_schema(QUERY + before), build_schema(QUERY + after))
    assert [f"{c.criticality} {c.code} {c.coordinate}" for c in changes] == expected
