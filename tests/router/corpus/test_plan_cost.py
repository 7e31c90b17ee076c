"""Among several plans the cheapest wins: fewest fetches, then the shortest critical path.

The planner's first guess goes by what it sees at each field; where another
subgraph would save a fetch further down (a nested field, a sibling field
only one subgraph has), the cost comparison takes that plan instead.
"""

from __future__ import annotations

import pytest

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

ATLAS = SubgraphSpec(
    name="atlas",
    sdl=federation_sdl(
        """
        type Query { place(id: ID!): Place @shareable products: [Product!]! }
        type Place @shareable { name: String! climate: Climate! }
        type Climate @shareable { zone: String! }
        type Product @key(fields: "id") { id: ID! name: String! }
        """
    ),
    data={
        "Query": {
            "place": {"name": "Oslo", "climate": {"zone": "boreal"}},
            "products": [{"id": "1"}, {"id": "2"}],
        },
        "Product": [{"id": "1", "name": "Table"}, {"id": "2", "name": "Lamp"}],
    },
)
BRIEF = SubgraphSpec(
    name="brief",
    sdl=federation_sdl(
        """
        type Query { place(id: ID!): Place @shareable }
        type Place @shareable { name: String! climate: Climate! }
        type Climate @shareable { zone: String! rain: Int! }
        type Product @key(fields: "id") { id: ID! stock: Int! @shareable }
        """
    ),
    data={
        "Query": {"place": {"name": "Oslo", "climate": {"zone": "boreal", "rain": 763}}},
        "Product": [{"id": "1", "stock": 3}, {"id": "2", "stock": 0}],
    },
)
CRATE = SubgraphSpec(
    name="crate",
    sdl=federation_sdl(
        """
        type Product @key(fields: "id") { id: ID! stock: Int! @shareable weight: Int! }
        """
    ),
    data={"Product": [{"id": "1", "stock": 3, "weight": 30}, {"id": "2", "stock": 0, "weight": 2}]},
)
ALL = [ATLAS, BRIEF, CRATE]

CASES = [
    RouterCase(
        id="cost-root-subgraph-serving-the-nested-fields",
        subgraphs=ALL,
        query='{ place(id: "osl") { name climate { zone rain } } }',
        expected_response={
            "data": {"place": {"name": "Oslo", "climate": {"zone": "boreal", "rain": 763}}}
        },
        expected_fetches={"brief": 1},
    ),
    RouterCase(
        id="cost-jump-to-the-subgraph-serving-the-sibling-too",
        subgraphs=ALL,
        query="{ products { name stock weight } }",
        expected_response={
            "data": {
                "products": [
                    {"name": "Table", "stock": 3, "weight": 30},
                    {"name": "Lamp", "stock": 0, "weight": 2},
                ]
            }
        },
        expected_fetches={"atlas": 1, "crate": 1},
    ),
    RouterCase(
        id="cost-equal-plans-keep-the-first-choice",
        subgraphs=ALL,
        query="{ products { stock } }",
        expected_response={"data": {"products": [{"stock": 3}, {"stock": 0}]}},
        expected_fetches={"atlas": 1, "brief": 1},
    ),
    RouterCase(
        id="cost-root-choice-with-an-alias",
        subgraphs=ALL,
        query='{ here: place(id: "osl") { climate { rain } } there: place(id: "osl") { name } }',
        expected_response={"data": {"here": {"climate": {"rain": 763}}, "there": {"name": "Oslo"}}},
        expected_fetches={"brief": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_plan_cost(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
