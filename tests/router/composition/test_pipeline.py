"""The pipeline's contract: every error at once, never an exception on bad input,
stable `join__Graph` names, and the documented merge of scopes and policies."""

from __future__ import annotations

import pytest

from router.composition import Code, SubgraphSource, compose
from router.composition.meta import conjunction
from router.composition.pipeline import graph_ids

FED = '@link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])'


def test_no_subgraphs() -> None:
    result = compose([])
    assert result.supergraph_sdl is None
    assert [(e.code, e.subgraphs) for e in result.errors] == [(Code.NO_QUERIES, ())]


def test_duplicate_subgraph_names() -> None:
    sdl = f"extend schema {FED}\ntype Query {{ a: Int }}\n"
    result = compose([SubgraphSource("a", "http://a", sdl), SubgraphSource("a", "http://b", sdl)])
    assert [(e.code, e.subgraphs) for e in result.errors] == [(Code.INVALID_SUBGRAPH_NAME, ("a",))]


def test_errors_of_every_subgraph_come_back_together() -> None:
    broken_key = (
        f'extend schema {FED}\ntype Query {{ a: T }}\ntype T @key(fields: "nope") {{ id: ID }}'
    )
    broken_syntax = "type Query {"
    fed1 = "type Query { c: Int }"
    result = compose(
        [
            SubgraphSource("a", "http://a", broken_key),
            SubgraphSource("b", "http://b", broken_syntax),
            SubgraphSource("c", "http://c", fed1),
        ]
    )
    assert sorted((e.code, e.coordinate, e.subgraphs) for e in result.errors) == [
        (Code.INVALID_GRAPHQL, None, ("b",)),
        (Code.KEY_INVALID_FIELDS, "T", ("a",)),
        (Code.UNSUPPORTED_FEDERATION_VERSION, None, ("c",)),
    ]


@pytest.mark.parametrize(
    "sdl",
    [
        "",
        "# only a comment",
        "extend schema @link(url: 5)",
        'schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: [1, {as: "@x"}])'
        " { query: Query }\ntype Query { a: Int }",
        f'extend schema {FED}\nextend type Ghost @key(fields: "id") {{ id: ID! }}',
        f'extend schema {FED}\ntype Query {{ a: Int @key(fields: "a") }}',
        f'extend schema {FED}\ntype Query {{ a: T @provides(fields: "{{{{") }}\ntype T {{ b: Int }}',
        f"extend schema {FED}\ndirective @key on SCHEMA\ntype Query {{ a: Int }}",
        f"extend schema {FED}\ntype Query {{ a: Int }}\ntype Query {{ a: Int }}",
        f"extend schema {FED}\nschema {{ query: Missing }}",
        f"extend schema {FED}\ntype Query {{ a: [[Int!]]! }}\nunion U = Query",
        "\x00\x01 binary",
    ],
)
def test_bad_input_never_raises(sdl: str) -> None:
    result = compose([SubgraphSource("a", "http://a", sdl)])
    assert (result.supergraph_sdl is None) == bool(result.errors)
    assert all(e.code and e.message for e in result.errors)


def test_graph_ids_are_sanitized_and_unique() -> None:
    assert graph_ids(["a-b", "a_b", "svc_1", "9lives", "users"]) == {
        "a-b": "A_B_1",
        "a_b": "A_B_2",
        "svc_1": "SVC_1_",
        "9lives": "_9LIVES",
        "users": "USERS",
    }


def test_scopes_merge_by_conjunction() -> None:
    assert conjunction(None, [["b", "a"]]) == [["a", "b"]]
    assert conjunction([["a"], ["b"]], None) == [["a"], ["b"]]
    # (a or b) and (a or c) = a or (b and c); (a and c) is absorbed by a.
    assert conjunction([["a"], ["b"]], [["a"], ["c"]]) == [["a"], ["b", "c"]]
    assert conjunction([["x", "x"]], [["x"]]) == [["x"]]
