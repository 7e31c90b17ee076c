"""Random valid operations over the corpus supergraphs: planned, and valid in every subgraph.

hypothesis-graphql draws queries that validate against each corpus
supergraph's API schema. Each must plan without an exception, and each fetch
of its plan must validate against the SDL of the subgraph it goes to.
Seeded (derandomized) and bounded, so a run is repeatable and short.
"""

from __future__ import annotations

from functools import cache

import pytest
from graphql import GraphQLSchema, parse, print_schema, validate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema

from router.composition import SubgraphSource, compose
from router.planning.planner import plan_operation
from router.supergraph import Supergraph, load_supergraph
from tests.router.harness import SubgraphSpec
from tests.router.harness.case import invalid_fetches
from tests.router.harness.hive import corpus_cases, group_by_subgraphs

EXAMPLES_PER_SUPERGRAPH = 12
SUBGRAPH_SETS = [group[0].subgraphs for group in group_by_subgraphs(corpus_cases())]


@cache
def supergraph_of(index: int) -> Supergraph:
    specs = SUBGRAPH_SETS[index]
    sources = [SubgraphSource(s.name, f"http://{s.name}.invalid/graphql", s.sdl) for s in specs]
    result = compose(sources)
    assert result.supergraph_sdl is not None, result.errors
    return load_supergraph(result.supergraph_sdl)


def queries(schema: GraphQLSchema) -> st.SearchStrategy[str]:
    return from_schema(print_schema(schema))


@pytest.mark.parametrize(
    "index",
    range(len(SUBGRAPH_SETS)),
    ids=[",".join(s.name for s in specs) for specs in SUBGRAPH_SETS],
)
def test_random_operations_plan_into_valid_fetches(index: int) -> None:
    supergraph = supergraph_of(index)
    specs: list[SubgraphSpec] = list(SUBGRAPH_SETS[index])

    @settings(
        max_examples=EXAMPLES_PER_SUPERGRAPH,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(query=queries(supergraph.api_schema))
    def check(query: str) -> None:
        document = parse(query)
        assert validate(supergraph.api_schema, document) == []
        plan = plan_operation(supergraph, document, None)
        assert invalid_fetches(plan, specs) == []

    check()
