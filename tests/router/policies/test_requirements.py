"""Which coordinates a supergraph protects, and with what."""

from __future__ import annotations

from graphql import parse

from router.composition import SubgraphSource, compose
from router.policies import Requirement, read_rules
from router.supergraph import load_supergraph
from tests.router.harness import federation_sdl

SDL = federation_sdl(
    """
    type Query { items: [Item!]! level: Level @authenticated open: String }
    interface Item { id: ID! secret: String }
    type Book implements Item @key(fields: "id") {
      id: ID!
      secret: String @requiresScopes(scopes: [["staff"], ["read:books"]])
    }
    type Pen implements Item @key(fields: "id") @policy(policies: [["pens"]]) {
      id: ID!
      secret: String
    }
    enum Level @requiresScopes(scopes: [["staff"]]) { LOW HIGH }
    """,
    version="v2.6",
    imports=("@key", "@authenticated", "@requiresScopes", "@policy"),
)
STAFF_OR_BOOKS = Requirement(
    "requiresScopes", frozenset({frozenset({"staff"}), frozenset({"read:books"})})
)
PENS = Requirement("policy", frozenset({frozenset({"pens"})}))


def test_fields_are_protected_by_their_own_parent_return_and_implementing_types() -> None:
    result = compose([SubgraphSource("shop", "http://shop/graphql", SDL)])
    assert result.supergraph_sdl is not None, result.errors
    supergraph = load_supergraph(result.supergraph_sdl)
    rules = read_rules(parse(supergraph.sdl), supergraph.api_schema)
    assert dict(rules.fields) == {
        ("Query", "level"): {
            Requirement("authenticated"),
            Requirement("requiresScopes", frozenset({frozenset({"staff"})})),
        },
        ("Book", "secret"): {STAFF_OR_BOOKS},
        ("Pen", "__typename"): {PENS},
        ("Pen", "id"): {PENS},
        ("Pen", "secret"): {PENS},
        # Read through the interface, a field needs what every implementation needs.
        ("Item", "id"): {PENS},
        ("Item", "secret"): {STAFF_OR_BOOKS, PENS},
    }


def test_a_supergraph_without_the_specs_protects_nothing() -> None:
    sdl = federation_sdl("type Query { open: String }")
    result = compose([SubgraphSource("shop", "http://shop/graphql", sdl)])
    assert result.supergraph_sdl is not None, result.errors
    supergraph = load_supergraph(result.supergraph_sdl)
    assert not read_rules(parse(supergraph.sdl), supergraph.api_schema)
