"""@requires: the required fields are fetched first and sent in the representations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

UPCS = [{"upc": "p1"}, {"upc": "p2"}, {"upc": "p3"}]


def estimate(product: Mapping[str, Any], _args: Mapping[str, Any]) -> int:
    surcharge = 0 if product["price"] >= 30 else 5
    return int(product["weight"] or 0) * 2 + surcharge


def shipping_to(product: Mapping[str, Any], args: Mapping[str, Any]) -> int | None:
    weight = product["weight"]
    return None if weight is None else weight * (1 if args["zone"] == "EU" else 3)


PRODUCTS = SubgraphSpec(
    name="products",
    sdl=federation_sdl(
        """
        type Query { topProducts(first: Int): [Product!]! product(upc: String!): Product }
        type Product @key(fields: "upc") {
          upc: String! name: String! price: Int! dimensions: Dimensions!
        }
        type Dimensions @shareable { length: Int! width: Int! }
        """
    ),
    data={
        "Query": {"topProducts": UPCS},
        "Product": [
            {"upc": "p1", "name": "Table", "price": 40, "dimensions": {"length": 200, "width": 90}},
            {"upc": "p2", "name": "Chair", "price": 15, "dimensions": {"length": 50, "width": 50}},
            {"upc": "p3", "name": "Lamp", "price": 10, "dimensions": {"length": 30, "width": 30}},
        ],
    },
    resolvers={
        "Query.topProducts": lambda root, args: root["topProducts"][: args.get("first") or 3]
    },
)
INVENTORY = SubgraphSpec(
    name="inventory",
    sdl=federation_sdl(
        """
        type Product @key(fields: "upc") { upc: String! weight: Int inStock: Boolean! }
        """
    ),
    data={
        "Product": [
            {"upc": "p1", "weight": 30, "inStock": True},
            {"upc": "p2", "weight": 5, "inStock": False},
            {"upc": "p3", "weight": None, "inStock": True},
        ]
    },
)
SHIPPING = SubgraphSpec(
    name="shipping",
    sdl=federation_sdl(
        """
        type Query { cheapestShipping: Product }
        type Product @key(fields: "upc") {
          upc: String!
          price: Int! @external
          weight: Int @external
          dimensions: Dimensions! @external
          priceTier: String! @requires(fields: "price")
          isHeavy: Boolean! @requires(fields: "weight")
          shippingEstimate: Int! @requires(fields: "price weight")
          shippingTo(zone: String!): Int @requires(fields: "weight")
          packaging: String! @requires(fields: "dimensions { length width }")
        }
        type Dimensions @shareable { length: Int! width: Int! }
        """
    ),
    data={"Query": {"cheapestShipping": {"upc": "p2"}}, "Product": UPCS},
    resolvers={
        "Product.priceTier": lambda p, _: "high" if p["price"] >= 30 else "low",
        "Product.isHeavy": lambda p, _: p["weight"] is not None and p["weight"] > 20,
        "Product.shippingEstimate": estimate,
        "Product.shippingTo": shipping_to,
        "Product.packaging": lambda p, _: "box {length}x{width}".format(**p["dimensions"]),
    },
)
DELIVERY = SubgraphSpec(
    name="delivery",
    sdl=federation_sdl(
        """
        type Product @key(fields: "upc") {
          upc: String!
          shippingEstimate: Int! @external
          deliveryDays: Int! @requires(fields: "shippingEstimate")
        }
        """
    ),
    data={"Product": UPCS},
    resolvers={"Product.deliveryDays": lambda p, _: 1 + p["shippingEstimate"] // 20},
)
REVIEWS = SubgraphSpec(
    name="reviews",
    sdl=federation_sdl(
        """
        type Query { topReviews: [Review!]! }
        type Review { body: String! product: Product! }
        type Product @key(fields: "upc") { upc: String! }
        """
    ),
    data={
        "Query": {
            "topReviews": [
                {"body": "Solid", "product": {"upc": "p1"}},
                {"body": "Wobbly", "product": {"upc": "p1"}},
                {"body": "Bright", "product": {"upc": "p3"}},
            ]
        }
    },
)
ALL = [PRODUCTS, INVENTORY, SHIPPING, DELIVERY, REVIEWS]

CASES = [
    RouterCase(
        id="requires-field-of-the-root-subgraph",
        subgraphs=ALL,
        query="{ topProducts { name priceTier } }",
        expected_response={
            "data": {
                "topProducts": [
                    {"name": "Table", "priceTier": "high"},
                    {"name": "Chair", "priceTier": "low"},
                    {"name": "Lamp", "priceTier": "low"},
                ]
            }
        },
        expected_fetches={"products": 1, "shipping": 1},
        expected_representations={"shipping": 3},
    ),
    RouterCase(
        id="requires-required-field-hidden-unless-selected",
        subgraphs=ALL,
        query="{ topProducts(first: 2) { priceTier } }",
        expected_response={"data": {"topProducts": [{"priceTier": "high"}, {"priceTier": "low"}]}},
        expected_fetches={"products": 1, "shipping": 1},
    ),
    RouterCase(
        id="requires-required-field-also-selected",
        subgraphs=ALL,
        query="{ topProducts(first: 2) { priceTier price } }",
        expected_response={
            "data": {
                "topProducts": [
                    {"priceTier": "high", "price": 40},
                    {"priceTier": "low", "price": 15},
                ]
            }
        },
        expected_fetches={"products": 1, "shipping": 1},
    ),
    RouterCase(
        id="requires-field-of-a-third-subgraph",
        subgraphs=ALL,
        query="{ topProducts { name isHeavy } }",
        expected_response={
            "data": {
                "topProducts": [
                    {"name": "Table", "isHeavy": True},
                    {"name": "Chair", "isHeavy": False},
                    {"name": "Lamp", "isHeavy": False},
                ]
            }
        },
        expected_fetches={"products": 1, "inventory": 1, "shipping": 1},
        expected_sequence=["products", "inventory", "shipping"],
    ),
    RouterCase(
        id="requires-fields-from-two-subgraphs",
        subgraphs=ALL,
        query="{ topProducts { shippingEstimate } }",
        expected_response={
            "data": {
                "topProducts": [
                    {"shippingEstimate": 60},
                    {"shippingEstimate": 15},
                    {"shippingEstimate": 5},
                ]
            }
        },
        expected_fetches={"products": 1, "inventory": 1, "shipping": 1},
        expected_sequence=["products", "inventory", "shipping"],
    ),
    RouterCase(
        id="requires-nested-field-set",
        subgraphs=ALL,
        query="{ topProducts { packaging } }",
        expected_response={
            "data": {
                "topProducts": [
                    {"packaging": "box 200x90"},
                    {"packaging": "box 50x50"},
                    {"packaging": "box 30x30"},
                ]
            }
        },
        expected_fetches={"products": 1, "shipping": 1},
    ),
    RouterCase(
        id="requires-with-field-arguments",
        subgraphs=ALL,
        query='{ topProducts(first: 1) { eu: shippingTo(zone: "EU") us: shippingTo(zone: "US") } }',
        expected_response={"data": {"topProducts": [{"eu": 30, "us": 90}]}},
        expected_fetches={"products": 1, "inventory": 1, "shipping": 1},
    ),
    RouterCase(
        id="requires-several-fields-of-one-subgraph-one-fetch",
        subgraphs=ALL,
        query="{ topProducts(first: 2) { isHeavy priceTier packaging shippingEstimate } }",
        expected_response={
            "data": {
                "topProducts": [
                    {
                        "isHeavy": True,
                        "priceTier": "high",
                        "packaging": "box 200x90",
                        "shippingEstimate": 60,
                    },
                    {
                        "isHeavy": False,
                        "priceTier": "low",
                        "packaging": "box 50x50",
                        "shippingEstimate": 15,
                    },
                ]
            }
        },
        expected_fetches={"products": 1, "inventory": 1, "shipping": 1},
    ),
    RouterCase(
        id="requires-of-a-required-field-chain",
        subgraphs=ALL,
        query="{ topProducts { name deliveryDays } }",
        expected_response={
            "data": {
                "topProducts": [
                    {"name": "Table", "deliveryDays": 4},
                    {"name": "Chair", "deliveryDays": 1},
                    {"name": "Lamp", "deliveryDays": 1},
                ]
            }
        },
        expected_fetches={"products": 1, "inventory": 1, "shipping": 1, "delivery": 1},
        expected_sequence=["products", "inventory", "shipping", "delivery"],
    ),
    RouterCase(
        id="requires-null-required-value-is-sent",
        subgraphs=ALL,
        query='{ product(upc: "p3") { name shippingEstimate isHeavy } }',
        expected_response={
            "data": {"product": {"name": "Lamp", "shippingEstimate": 5, "isHeavy": False}}
        },
        expected_fetches={"products": 1, "inventory": 1, "shipping": 1},
    ),
    RouterCase(
        id="requires-root-in-requiring-subgraph-goes-there-and-back",
        subgraphs=ALL,
        query="{ cheapestShipping { upc priceTier } }",
        expected_response={"data": {"cheapestShipping": {"upc": "p2", "priceTier": "low"}}},
        expected_fetches={"shipping": 2, "products": 1},
        expected_sequence=["shipping", "products", "shipping"],
    ),
    RouterCase(
        id="requires-after-an-entity-jump-deduplicated",
        subgraphs=ALL,
        query="{ topReviews { body product { priceTier } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"body": "Solid", "product": {"priceTier": "high"}},
                    {"body": "Wobbly", "product": {"priceTier": "high"}},
                    {"body": "Bright", "product": {"priceTier": "low"}},
                ]
            }
        },
        expected_fetches={"reviews": 1, "products": 1, "shipping": 1},
        expected_representations={"products": 2, "shipping": 2},
    ),
    RouterCase(
        id="requires-beside-plain-fields-of-the-requiring-subgraph",
        subgraphs=ALL,
        query="{ topProducts(first: 1) { inStock isHeavy name } }",
        expected_response={
            "data": {"topProducts": [{"inStock": True, "isHeavy": True, "name": "Table"}]}
        },
        expected_fetches={"products": 1, "inventory": 1, "shipping": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_requires(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
