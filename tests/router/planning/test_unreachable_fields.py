"""Fields no plan can reach fail at planning with an error that names them, never dropped.

The supergraphs here are composed from two subgraphs, then edited the way a
careless hand or another tool might leave them: a key made unresolvable, a
shared root field given to one subgraph only, a field no subgraph resolves.
"""

from __future__ import annotations

import pytest
from graphql import parse, validate

from router.composition import SubgraphSource, compose
from router.operation import GraphQLRequest
from router.planning.errors import PlanningError
from router.planning.planner import plan_operation
from router.supergraph import load_supergraph
from tests.router.execution.fakes import gateway, subgraphs
from tests.router.harness import federation_sdl

A = federation_sdl(
    """
    type Query { products: [Product!]! deal: Deal @shareable }
    type Product @key(fields: "id") { id: ID! name: String! }
    type Deal @shareable { title: String! }
    """
)
B = federation_sdl(
    """
    type Query { deal: Deal @shareable }
    type Product @key(fields: "id") { id: ID! price: Int! }
    type Deal @shareable { title: String! discount: Int! }
    """
)


def supergraph_sdl(*edits: tuple[str, str]) -> str:
    result = compose(
        [SubgraphSource("a", "http://a/graphql", A), SubgraphSource("b", "http://b/graphql", B)]
    )
    assert result.supergraph_sdl is not None
    sdl = result.supergraph_sdl
    for old, new in edits:
        assert old in sdl
        sdl = sdl.replace(old, new)
    return sdl


UNRESOLVABLE_KEY = (
    '@join__type(graph: B, key: "id")',
    '@join__type(graph: B, key: "id", resolvable: false)',
)
ROOT_IN_ONE = ("  deal: Deal\n", "  deal: Deal @join__field(graph: A)\n")
NO_SOURCE = (
    "discount: Int! @join__field(graph: B)",
    "discount: Int! @join__field(graph: B, external: true)",
)

CASES = [
    pytest.param(
        [UNRESOLVABLE_KEY],
        "{ products { name price } }",
        "Product.price cannot be reached from subgraph 'a': "
        "no subgraph resolving it can be entered on the way there",
        id="entity-field-behind-an-unresolvable-key",
    ),
    pytest.param(
        [ROOT_IN_ONE],
        "{ deal { title discount } }",
        "Deal.discount cannot be reached from subgraph 'a': "
        "no subgraph resolving it can be entered on the way there",
        id="value-type-field-off-the-only-path",
    ),
    pytest.param(
        [NO_SOURCE],
        "{ deal { discount } }",
        "no subgraph resolves Deal.discount",
        id="field-no-subgraph-resolves",
    ),
]


@pytest.mark.parametrize(("edits", "query", "message"), CASES)
def test_an_unreachable_field_fails_planning_naming_it(
    edits: list[tuple[str, str]], query: str, message: str
) -> None:
    supergraph = load_supergraph(supergraph_sdl(*edits))
    document = parse(query)
    assert validate(supergraph.api_schema, document) == []

    with pytest.raises(PlanningError) as raised:
        plan_operation(supergraph, document, None)

    assert str(raised.value) == message


async def test_the_client_gets_the_reason_as_a_graphql_error() -> None:
    async with subgraphs() as fakes, gateway(supergraph_sdl(UNRESOLVABLE_KEY), fakes) as router:
        response = await router.execute(GraphQLRequest("{ products { price } }"), {})

    assert response.status_code == 500
    [error] = response.body["errors"]
    assert error["message"] == (
        "The router could not plan this operation: Product.price cannot be reached from "
        "subgraph 'a': no subgraph resolving it can be entered on the way there"
    )
    assert error["extensions"]["code"] == "QUERY_PLANNING_FAILED"
    assert len(error["extensions"]["requestId"]) == 32
    assert set(response.body) == {"errors"}
    assert all(fake.received == [] for fake in fakes.values())
