"""@requires chains that go back and forth between subgraphs, and @requires with arguments.

warehouse (A) and pricing (B) each need what the other computes: `a4` in A
requires `b3` of B, which requires `a2` of A, which requires `b1` of B, which
requires `base` of A. Fetch groups stay acyclic: each step is its own fetch.
Two requirements of one field that differ only in arguments travel under
distinct private aliases, and each reaches its own representation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

RATES = {"USD": 1, "EUR": 2, "GBP": 3}


def price(product: Mapping[str, Any], args: Mapping[str, Any]) -> int:
    return int(product["base"]) * RATES[args["currency"]]


WAREHOUSE = SubgraphSpec(
    name="warehouse",
    sdl=federation_sdl(
        """
        type Query { products: [Product!]! product(id: ID!): Product }
        type Product @key(fields: "id") {
          id: ID!
          name: String!
          base: Int!
          b1: Int! @external
          a2: Int! @requires(fields: "b1")
          b3: Int! @external
          a4: Int! @requires(fields: "b3")
          price(currency: String!): Int!
          label: String! @external
          boxed: String! @requires(fields: "label")
        }
        """
    ),
    data={
        "Query": {"products": [{"id": "1"}, {"id": "2"}]},
        "Product": [
            {"id": "1", "name": "Table", "base": 10},
            {"id": "2", "name": "Lamp", "base": 3},
        ],
    },
    resolvers={
        "Product.a2": lambda p, _: p["b1"] + 1,
        "Product.a4": lambda p, _: p["b3"] + 5,
        "Product.price": price,
        "Product.boxed": lambda p, _: f"[{p['label']}]",
    },
)
PRICING = SubgraphSpec(
    name="pricing",
    sdl=federation_sdl(
        """
        type Query { deal: Product }
        type Product @key(fields: "id") {
          id: ID!
          base: Int! @external
          b1: Int! @requires(fields: "base")
          a2: Int! @external
          b3: Int! @requires(fields: "a2")
          price(currency: String!): Int! @external
          usd: String! @requires(fields: "price(currency: \\"USD\\")")
          eur: String! @requires(fields: "price(currency: \\"EUR\\")")
          label: String! @requires(fields: "name")
          name: String! @external
        }
        """
    ),
    data={"Query": {"deal": {"id": "2"}}, "Product": [{"id": "1"}, {"id": "2"}]},
    resolvers={
        "Product.b1": lambda p, _: p["base"] * 2,
        "Product.b3": lambda p, _: p["a2"] * 10,
        "Product.usd": lambda p, _: f"{p['price']} USD",
        "Product.eur": lambda p, _: f"{p['price']} EUR",
        "Product.label": lambda p, _: p["name"].upper(),
    },
)
BOTH = [WAREHOUSE, PRICING]

CASES = [
    RouterCase(
        id="requires-chain-a-b-a-b-a",
        subgraphs=BOTH,
        query="{ products { a4 } }",
        expected_response={"data": {"products": [{"a4": 215}, {"a4": 75}]}},
        expected_fetches={"warehouse": 3, "pricing": 2},
        expected_sequence=["warehouse", "pricing", "warehouse", "pricing", "warehouse"],
    ),
    RouterCase(
        id="requires-chain-every-step-selected",
        subgraphs=BOTH,
        query="{ products { id base b1 a2 b3 a4 } }",
        expected_response={
            "data": {
                "products": [
                    {"id": "1", "base": 10, "b1": 20, "a2": 21, "b3": 210, "a4": 215},
                    {"id": "2", "base": 3, "b1": 6, "a2": 7, "b3": 70, "a4": 75},
                ]
            }
        },
        expected_fetches={"warehouse": 3, "pricing": 2},
    ),
    RouterCase(
        id="requires-chain-a-b-a-from-a-root",
        subgraphs=BOTH,
        query='{ product(id: "1") { name b3 } }',
        expected_response={"data": {"product": {"name": "Table", "b3": 210}}},
        expected_fetches={"warehouse": 2, "pricing": 2},
        expected_sequence=["warehouse", "pricing", "warehouse", "pricing"],
    ),
    RouterCase(
        id="requires-chain-entered-from-the-other-subgraph",
        subgraphs=BOTH,
        query="{ deal { a4 } }",
        expected_response={"data": {"deal": {"a4": 75}}},
        expected_fetches={"warehouse": 3, "pricing": 3},
    ),
    RouterCase(
        id="requires-chain-short-and-long-side-by-side",
        subgraphs=BOTH,
        query="{ products { a2 a4 b1 } }",
        expected_response={
            "data": {"products": [{"a2": 21, "a4": 215, "b1": 20}, {"a2": 7, "a4": 75, "b1": 6}]}
        },
        expected_fetches={"warehouse": 3, "pricing": 2},
    ),
    RouterCase(
        id="requires-back-and-forth-through-a-label",
        subgraphs=BOTH,
        query="{ products { boxed } }",
        expected_response={"data": {"products": [{"boxed": "[TABLE]"}, {"boxed": "[LAMP]"}]}},
        expected_fetches={"warehouse": 2, "pricing": 1},
    ),
    RouterCase(
        id="requires-field-named-like-a-client-alias-not-confused",
        subgraphs=BOTH,
        query="{ products { b1: name a2 } }",
        expected_response={
            "data": {"products": [{"b1": "Table", "a2": 21}, {"b1": "Lamp", "a2": 7}]}
        },
        expected_fetches={"warehouse": 2, "pricing": 1},
    ),
    RouterCase(
        id="requires-field-with-an-argument",
        subgraphs=BOTH,
        query="{ products { usd } }",
        expected_response={"data": {"products": [{"usd": "10 USD"}, {"usd": "3 USD"}]}},
        expected_fetches={"warehouse": 1, "pricing": 1},
    ),
    RouterCase(
        id="requires-same-field-different-arguments-not-confused",
        subgraphs=BOTH,
        query="{ products { usd eur } }",
        expected_response={
            "data": {
                "products": [{"usd": "10 USD", "eur": "20 EUR"}, {"usd": "3 USD", "eur": "6 EUR"}]
            }
        },
        expected_fetches={"warehouse": 1, "pricing": 2},
    ),
    RouterCase(
        id="requires-argument-beside-the-client-asking-another-argument",
        subgraphs=BOTH,
        query='{ products { price(currency: "GBP") eur } }',
        expected_response={
            "data": {"products": [{"price": 30, "eur": "20 EUR"}, {"price": 9, "eur": "6 EUR"}]}
        },
        expected_fetches={"warehouse": 1, "pricing": 1},
    ),
    RouterCase(
        id="requires-argument-beside-an-alias-named-like-the-field",
        subgraphs=BOTH,
        query="{ products { price: name usd } }",
        expected_response={
            "data": {
                "products": [{"price": "Table", "usd": "10 USD"}, {"price": "Lamp", "usd": "3 USD"}]
            }
        },
        expected_fetches={"warehouse": 1, "pricing": 1},
    ),
    RouterCase(
        id="requires-arguments-from-a-root-of-the-requiring-subgraph",
        subgraphs=BOTH,
        query="{ deal { eur usd } }",
        expected_response={"data": {"deal": {"eur": "6 EUR", "usd": "3 USD"}}},
        expected_fetches={"warehouse": 1, "pricing": 3},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_requires_chains(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
