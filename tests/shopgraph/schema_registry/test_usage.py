"""What an operation uses: the coordinates a breaking change is matched against."""

from __future__ import annotations

from graphql import build_schema, parse

from shopgraph.schema_registry.usage import coordinates_of

SCHEMA = build_schema(
    """
    directive @trace(level: Int) on FIELD
    type Query { product(id: ID!, filter: Filter): Product search(q: String!): [Result!]! }
    input Filter { color: Color inner: Inner }
    input Inner { size: Int }
    enum Color { RED BLUE }
    type Product { id: ID! name: String color: Color }
    type Shop { name: String }
    union Result = Product | Shop
    """
)


def test_fields_arguments_types_input_fields_and_directives() -> None:
    document = parse(
        """
        query Q($f: Filter) {
          product(id: "1", filter: $f) { name @trace(level: 2) }
          search(q: "x") { ... on Shop { name } ...P }
        }
        fragment P on Product { color }
        """
    )
    assert sorted(coordinates_of(SCHEMA, document)) == [
        "@trace",
        "@trace(level:)",
        "Color",
        "Filter",
        "Filter.color",
        "Filter.inner",
        "ID",
        "Inner",
        "Inner.size",
        "Int",
        "Product",
        "Product.color",
        "Product.name",
        "Query",
        "Query.product",
        "Query.product(filter:)",
        "Query.product(id:)",
        "Query.search",
        "Query.search(q:)",
        "Result",
        "Shop",
        "Shop.name",
        "String",
    ]


def test_literal_input_fields_and_unknown_fields_are_tolerated() -> None:
    document = parse('{ product(id: "1", filter: {color: RED}) { nope } }')
    assert sorted(coordinates_of(SCHEMA, document)) == [
        "Color",
        "Filter",
        "Filter.color",
        "Filter.inner",
        "ID",
        "Inner",
        "Inner.size",
        "Int",
        "Product",
        "Product.nope",
        "Query",
        "Query.product",
        "Query.product(filter:)",
        "Query.product(id:)",
    ]
