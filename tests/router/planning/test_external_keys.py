"""Key fields a supergraph marks external in a subgraph are still given by that subgraph.

Composers differ on `@extends` types (`type Chat @key(fields: "id") @extends
{ id: ID! @external }`): some write `@join__field(graph: A, external: true)`
on the key field. A subgraph returns the key of every entity it returns, so
the planner still takes the key from it: `node(id:)` in A reaches Chat's
fields in B.
"""

from __future__ import annotations

from graphql import parse

from router.composition import SubgraphSource, compose
from router.planning.planner import plan_operation
from router.planning.printer import print_plan
from router.supergraph import load_supergraph
from tests.router.harness import federation_sdl

NODES = federation_sdl(
    """
    type Query { node(id: ID!): Node }
    interface Node { id: ID! }
    type Chat implements Node @key(fields: "id") @extends { id: ID! @external }
    type User implements Node @key(fields: "id") { id: ID! name: String! }
    """,
    imports=("@key", "@external", "@extends"),
)
CHATS = federation_sdl('type Chat @key(fields: "id") { id: ID! messages: [String!]! }')


def supergraph_with_external_key() -> str:
    result = compose(
        [
            SubgraphSource("a", "http://a/graphql", NODES),
            SubgraphSource("b", "http://b/graphql", CHATS),
        ]
    )
    assert result.supergraph_sdl is not None
    sdl = result.supergraph_sdl
    chat = sdl.index("type Chat implements Node")
    key = sdl.index("  id: ID!\n", chat)
    marked = "  id: ID! @join__field(graph: A, external: true) @join__field(graph: B)\n"
    return sdl[:key] + marked + sdl[key + len("  id: ID!\n") :]


def test_node_reaches_an_entity_whose_key_is_marked_external_where_it_is_returned() -> None:
    supergraph = load_supergraph(supergraph_with_external_key())

    plan = plan_operation(
        supergraph, parse('{ node(id: "c1") { id ... on Chat { messages } } }'), None
    )

    assert [fetch.service for fetch in plan.fetches()] == ["a", "b"]
    assert print_plan(plan).splitlines()[4:10] == [
        '        node(id: "c1") {',
        "          __typename",
        "          id",
        "          ... on Chat {",
        "            __typename",
        "            id",
    ]


def test_the_external_key_field_itself_comes_from_the_subgraph_returning_it() -> None:
    supergraph = load_supergraph(supergraph_with_external_key())

    plan = plan_operation(supergraph, parse('{ node(id: "c1") { ... on Chat { id } } }'), None)

    assert [fetch.service for fetch in plan.fetches()] == ["a"]
