"""Reading supergraphs: ownership from join directives, and the API schema clients see."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import print_schema

from router.supergraph import SupergraphError, load_supergraph

SUPERGRAPHS = Path(__file__).parents[1] / "planning" / "supergraphs"


def test_ownership_of_types_keys_and_fields() -> None:
    shop = load_supergraph((SUPERGRAPHS / "shop.graphql").read_text())
    assert {g.name for g in shop.graphs.values()} == {"users", "products", "inventory", "reviews"}
    product = shop.type("Product")
    assert sorted((k.graph, k.fields) for k in product.keys) == [
        ("INVENTORY", "upc"),
        ("PRODUCTS", "sku"),
        ("PRODUCTS", "upc"),
        ("REVIEWS", "sku"),
    ]
    estimate = shop.field_sources("Product", "shippingEstimate")
    assert list(estimate) == ["INVENTORY"]
    assert estimate["INVENTORY"].requires is not None
    # External fields are not sources; the owner is.
    assert list(shop.field_sources("User", "username")) == ["USERS"]
    author = shop.field_sources("Review", "author")["REVIEWS"]
    assert author.provides is not None


def test_api_schema_hides_federation_machinery_and_inaccessible_elements() -> None:
    sdl = """
schema @link(url: "https://specs.apollo.dev/link/v1.0") @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY) @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY) { query: Query }
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ENUM | ENUM_VALUE | SCALAR | INPUT_OBJECT | INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION
directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
scalar join__FieldSet
scalar link__Import
scalar requiresScopes__Scope
enum link__Purpose { SECURITY EXECUTION }
enum join__Graph { A @join__graph(name: "a", url: "http://a") }
type Query @join__type(graph: A) { user(id: ID!, debug: Boolean @inaccessible): User secret: Secret @inaccessible }
type User @join__type(graph: A, key: "id") { id: ID! name: String! @requiresScopes(scopes: [["read"]]) ssn: String @inaccessible tier: Tier! }
type Secret @join__type(graph: A) @inaccessible { value: String }
enum Tier @join__type(graph: A) { FREE PAID HIDDEN @inaccessible }
"""
    api = print_schema(load_supergraph(sdl).api_schema)
    assert api == (
        "type Query {\n  user(id: ID!): User\n}\n\n"
        "type User {\n  id: ID!\n  name: String!\n  tier: Tier!\n}\n\n"
        "enum Tier {\n  FREE\n  PAID\n}"
    )


@pytest.mark.parametrize(
    ("sdl", "message"),
    [
        ("type Query { a: Int", "does not parse"),
        ("type Query { a: Int }", "not a Federation v2 supergraph"),
        (
            'schema @link(url: "https://specs.apollo.dev/join/v0.1") { query: Query } type Query { a: Int }',
            "join spec v0.1 is not supported",
        ),
    ],
)
def test_what_is_not_a_supergraph_is_refused_clearly(sdl: str, message: str) -> None:
    with pytest.raises(SupergraphError, match=message):
        load_supergraph(sdl)
