"""`@cost` and `@listSize` carried from subgraphs into the supergraph, as Apollo composes them.

Subgraphs import them from federation v2.9 or link the cost spec themselves
(under any name); the supergraph links `cost/v0.1`, imports what it uses, and
keeps the highest weight and the largest list size any subgraph states.
"""

from __future__ import annotations

from graphql_budget.directives import ListSize
from router.composition import SubgraphSource, compose
from router.supergraph import load_supergraph

ACCOUNTS = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9",
  import: ["@key", "@cost", "@listSize", "@shareable"])
type Query {
  users(first: Int = 10): UserConnection
    @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
  all: [User!]! @listSize(assumedSize: 5, requireOneSlicingArgument: false) @shareable
  count(filter: Int @cost(weight: 3)): Int @cost(weight: 5) @shareable
}
type UserConnection { edges: [User!]! }
type User @key(fields: "id") @cost(weight: 2) { id: ID! }
"""
PROFILES = """
extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
  @link(url: "https://specs.apollo.dev/cost/v0.1",
    import: [{name: "@cost", as: "@price"}, "@listSize"])
type Query {
  all: [User!]! @listSize(assumedSize: 50) @shareable
  count(filter: Int): Int @price(weight: 9) @shareable
}
type User @key(fields: "id") { id: ID! name: String }
"""


def _composed() -> str:
    result = compose(
        [
            SubgraphSource("accounts", "http://accounts.invalid", ACCOUNTS),
            SubgraphSource("profiles", "http://profiles.invalid", PROFILES),
        ]
    )
    assert result.errors == ()
    assert result.supergraph_sdl is not None
    return result.supergraph_sdl


def test_the_supergraph_links_the_cost_spec_and_keeps_the_highest_figures() -> None:
    sdl = _composed()

    assert '@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@cost", "@listSize"])' in sdl
    lines = [line.strip() for line in sdl.splitlines()]
    assert (
        "users(first: Int = 10): UserConnection @join__field(graph: ACCOUNTS) @listSize("
        'slicingArguments: ["first"], sizedFields: ["edges"])'
    ) in lines
    assert "all: [User!]! @listSize(assumedSize: 50, requireOneSlicingArgument: false)" in lines
    assert "count(filter: Int @cost(weight: 3)): Int @cost(weight: 9)" in lines
    assert (
        'type User @join__type(graph: ACCOUNTS, key: "id") '
        '@join__type(graph: PROFILES, key: "id") @cost(weight: 2) {'
    ) in lines


def test_the_router_reads_what_composition_wrote_and_hides_it_from_clients() -> None:
    supergraph = load_supergraph(_composed())

    assert dict(supergraph.costs.type_weights) == {"User": 2}
    assert dict(supergraph.costs.field_weights) == {("Query", "count"): 9}
    assert dict(supergraph.costs.argument_weights) == {("Query", "count", "filter"): 3}
    assert dict(supergraph.costs.list_sizes) == {
        ("Query", "users"): ListSize(None, ("first",), ("edges",), True),
        ("Query", "all"): ListSize(50, (), (), False),
    }
    assert "cost" not in supergraph.api_schema.directives
    assert "listSize" not in supergraph.api_schema.directives


def test_a_negative_assumed_size_is_refused() -> None:
    result = compose(
        [
            SubgraphSource(
                "accounts",
                "http://accounts.invalid",
                ACCOUNTS.replace("assumedSize: 5", "assumedSize: -1"),
            )
        ]
    )

    assert [(e.code, e.message) for e in result.errors] == [
        (
            "LIST_SIZE_INVALID_ASSUMED_SIZE",
            '[accounts] "Query.all" has negative @listSize(assumedSize:) value',
        )
    ]
