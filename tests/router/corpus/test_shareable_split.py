"""Shareable fields no single subgraph can serve whole: the selection is split between them.

catalog and pricing both serve `Query.product` and `Query.products`, but
`Product` has no key: catalog knows its name, pricing its price. A query for
both takes the same path in each subgraph and merges the answers. Below an
entity (`Store`), the missing fields come through the nearest ancestor entity
that has a key in the other subgraph (a "parent entity" jump).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case
from tests.router.harness.subgraph import Resolver

# Product has no key, so each subgraph's data holds its whole objects.
CATALOG_PRODUCTS = [
    {"id": "1", "name": "Table", "details": {"color": "oak"}},
    {"id": "2", "name": "Lamp", "details": {"color": "brass"}},
]
PRICING_PRODUCTS = [
    {"id": "1", "price": 40, "details": {"weight": 30}},
    {"id": "2", "price": 10, "details": {"weight": 2}},
]


def by_id(products: list[dict[str, Any]]) -> Resolver:
    return lambda _root, args: next(p for p in products if p["id"] == args["id"])


CATALOG = SubgraphSpec(
    name="catalog",
    sdl=federation_sdl(
        """
        type Query {
          product(id: ID!): Product @shareable
          products: [Product!]! @shareable
          categories: [String!]!
        }
        type Product @shareable { id: ID! name: String! details: Details! }
        type Details @shareable { color: String! }
        type Store @key(fields: "id") { id: ID! featured: Product @shareable }
        """
    ),
    data={
        "Query": {"products": CATALOG_PRODUCTS, "categories": ["chairs", "lamps"]},
        "Store": [{"id": "s1", "featured": CATALOG_PRODUCTS[1]}],
    },
    resolvers={"Query.product": by_id(CATALOG_PRODUCTS)},
)
PRICING = SubgraphSpec(
    name="pricing",
    sdl=federation_sdl(
        """
        type Query { product(id: ID!): Product @shareable products: [Product!]! @shareable }
        type Product @shareable { id: ID! price: Int! details: Details! }
        type Details @shareable { weight: Int! }
        type Store @key(fields: "id") { id: ID! featured: Product @shareable }
        """
    ),
    data={
        "Query": {"products": PRICING_PRODUCTS},
        "Store": [{"id": "s1", "featured": PRICING_PRODUCTS[1]}],
    },
    resolvers={"Query.product": by_id(PRICING_PRODUCTS)},
)
STORES = SubgraphSpec(
    name="stores",
    sdl=federation_sdl(
        """
        type Query { stores: [Store!]! }
        type Store @key(fields: "id") { id: ID! city: String! }
        """
    ),
    data={"Query": {"stores": [{"id": "s1"}]}, "Store": [{"id": "s1", "city": "Oslo"}]},
)
ALL = [CATALOG, PRICING, STORES]

CASES = [
    RouterCase(
        id="shareable-split-root-field-between-two-subgraphs",
        subgraphs=ALL,
        query='{ product(id: "1") { name price } }',
        expected_response={"data": {"product": {"name": "Table", "price": 40}}},
        expected_fetches={"catalog": 1, "pricing": 1},
    ),
    RouterCase(
        id="shareable-split-root-list",
        subgraphs=ALL,
        query="{ products { id name price } }",
        expected_response={
            "data": {
                "products": [
                    {"id": "1", "name": "Table", "price": 40},
                    {"id": "2", "name": "Lamp", "price": 10},
                ]
            }
        },
        expected_fetches={"catalog": 1, "pricing": 1},
    ),
    RouterCase(
        id="shareable-split-nested-value-type",
        subgraphs=ALL,
        query='{ product(id: "2") { details { color weight } } }',
        expected_response={"data": {"product": {"details": {"color": "brass", "weight": 2}}}},
        expected_fetches={"catalog": 1, "pricing": 1},
    ),
    RouterCase(
        id="shareable-split-keeps-the-alias-and-arguments",
        subgraphs=ALL,
        query='{ lamp: product(id: "2") { price label: name } table: product(id: "1") { name } }',
        expected_response={
            "data": {"lamp": {"price": 10, "label": "Lamp"}, "table": {"name": "Table"}}
        },
        expected_fetches={"catalog": 1, "pricing": 1},
    ),
    RouterCase(
        id="shareable-split-beside-a-root-field-of-one-subgraph",
        subgraphs=ALL,
        query="{ categories products { price name } }",
        expected_response={
            "data": {
                "categories": ["chairs", "lamps"],
                "products": [{"price": 40, "name": "Table"}, {"price": 10, "name": "Lamp"}],
            }
        },
        expected_fetches={"catalog": 1, "pricing": 1},
    ),
    RouterCase(
        id="shareable-served-whole-by-one-subgraph-not-split",
        subgraphs=ALL,
        query="{ products { id price details { weight } } }",
        expected_response={
            "data": {
                "products": [
                    {"id": "1", "price": 40, "details": {"weight": 30}},
                    {"id": "2", "price": 10, "details": {"weight": 2}},
                ]
            }
        },
        expected_fetches={"pricing": 1},
    ),
    RouterCase(
        id="shareable-split-through-the-parent-entity",
        subgraphs=ALL,
        query="{ stores { city featured { name price } } }",
        expected_response={
            "data": {"stores": [{"city": "Oslo", "featured": {"name": "Lamp", "price": 10}}]}
        },
        expected_fetches={"stores": 1, "catalog": 1, "pricing": 1},
    ),
    RouterCase(
        id="shareable-split-through-the-parent-entity-nested-value-type",
        subgraphs=ALL,
        query="{ stores { featured { details { weight color } } } }",
        expected_response={
            "data": {"stores": [{"featured": {"details": {"weight": 2, "color": "brass"}}}]}
        },
        expected_fetches={"stores": 1, "catalog": 1, "pricing": 1},
    ),
    RouterCase(
        id="shareable-split-under-skip-and-include",
        subgraphs=ALL,
        query=('query ($price: Boolean!) { product(id: "1") { name price @include(if: $price) } }'),
        variables={"price": False},
        expected_response={"data": {"product": {"name": "Table"}}},
        expected_fetches={"catalog": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_shareable_split(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
