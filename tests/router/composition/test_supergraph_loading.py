"""Our supergraph output runs on our router: `load_supergraph` reads the API schema
clients see and who owns each type, key and field."""

from __future__ import annotations

from graphql import print_ast, print_schema
from graphql.utilities import lexicographic_sort_schema

from router.composition import SubgraphSource, compose
from router.supergraph import FieldSource, Graph, load_supergraph

FED = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: [{}])\n'


def _subgraph(name: str, imports: str, sdl: str) -> SubgraphSource:
    return SubgraphSource(name, f"http://{name}:4000/graphql", FED.format(imports) + sdl)


SUBGRAPHS = [
    _subgraph(
        "users",
        '"@key", "@inaccessible", "@shareable"',
        """
        type Query { me: User }
        type User @key(fields: "id") {
          id: ID!
          name: String! @shareable
          passwordHash: String @inaccessible
        }
        """,
    ),
    _subgraph(
        "catalog",
        '"@key"',
        """
        type Query { product(id: ID!): Product products: [Product!]! }
        type Product @key(fields: "id") { id: ID! title: String! weight: Int! }
        """,
    ),
    _subgraph(
        "social",
        '"@key", "@external", "@requires", "@provides", "@override"',
        """
        type Product @key(fields: "id") {
          id: ID!
          weight: Int! @external
          reviews: [Review!]!
          shippingClass: String @requires(fields: "weight")
        }
        type Review { body: String! author: User! @provides(fields: "name") }
        type User @key(fields: "id") { id: ID! name: String! @external }
        """,
    ),
    _subgraph(
        "insights",
        '"@key", "@interfaceObject"',
        """
        type Query { trending: [Node!]! }
        type Node @key(fields: "id") @interfaceObject { id: ID! views: Int! }
        """,
    ),
    _subgraph(
        "nodes",
        '"@key"',
        """
        interface Node @key(fields: "id") { id: ID! }
        type Article implements Node @key(fields: "id") { id: ID! headline: String! }
        type Query { article(id: ID!): Article }
        """,
    ),
]

EXPECTED_API_SCHEMA = """\
type Article implements Node {
  headline: String!
  id: ID!
  views: Int!
}

interface Node {
  id: ID!
  views: Int!
}

type Product {
  id: ID!
  reviews: [Review!]!
  shippingClass: String
  title: String!
  weight: Int!
}

type Query {
  article(id: ID!): Article
  me: User
  product(id: ID!): Product
  products: [Product!]!
  trending: [Node!]!
}

type Review {
  author: User!
  body: String!
}

type User {
  id: ID!
  name: String!
}
"""


def _supergraph() -> str:
    result = compose(SUBGRAPHS)
    assert result.errors == ()
    assert result.supergraph_sdl is not None
    return result.supergraph_sdl


def test_api_schema_hides_federation_machinery_and_inaccessible_fields() -> None:
    supergraph = load_supergraph(_supergraph())
    printed = print_schema(lexicographic_sort_schema(supergraph.api_schema))
    assert printed + "\n" == EXPECTED_API_SCHEMA


def test_graphs_keep_names_and_urls() -> None:
    supergraph = load_supergraph(_supergraph())
    assert supergraph.graphs == {
        name.upper(): Graph(name.upper(), name, f"http://{name}:4000/graphql")
        for name in ("catalog", "insights", "nodes", "social", "users")
    }


def test_entity_ownership() -> None:
    supergraph = load_supergraph(_supergraph())
    product = supergraph.type("Product")
    assert product.graphs == ("CATALOG", "SOCIAL")
    assert [(k.graph, k.fields, k.resolvable) for k in product.keys] == [
        ("CATALOG", "id", True),
        ("SOCIAL", "id", True),
    ]
    assert supergraph.field_sources("Product", "id") == {
        "CATALOG": FieldSource("CATALOG"),
        "SOCIAL": FieldSource("SOCIAL"),
    }
    assert set(supergraph.field_sources("Product", "weight")) == {"CATALOG"}
    shipping = supergraph.field_sources("Product", "shippingClass")
    assert set(shipping) == {"SOCIAL"}
    requires = shipping["SOCIAL"].requires
    assert requires is not None
    assert print_ast(requires) == "{\n  weight\n}"
    author = supergraph.field_sources("Review", "author")["SOCIAL"]
    assert author.provides is not None
    assert print_ast(author.provides) == "{\n  name\n}"
    assert set(supergraph.field_sources("User", "name")) == {"USERS"}


def test_interface_object_ownership() -> None:
    supergraph = load_supergraph(_supergraph())
    node = supergraph.type("Node")
    assert node.interface_object_in == frozenset({"INSIGHTS"})
    assert set(node.graphs) == {"INSIGHTS", "NODES"}
    article = supergraph.type("Article")
    assert article.implements == {"NODES": frozenset({"Node"})}
    assert article.fields["views"].from_interface_object
    assert supergraph.field_sources("Article", "views") == {}
    assert set(supergraph.field_sources("Node", "views")) == {"INSIGHTS"}
