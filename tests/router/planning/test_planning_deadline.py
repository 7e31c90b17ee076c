"""Planning is bounded: a deadline the planner checks, and planning off the event loop."""

from __future__ import annotations

import asyncio
import threading

import pytest
from graphql import DocumentNode, parse

from router.gateway import GraphQLResponse
from router.operation import GraphQLRequest
from router.planning.errors import PlanningTimeout
from router.planning.plan import QueryPlan
from router.planning.planner import plan_operation
from router.supergraph import Supergraph, load_supergraph
from tests.router.execution.fakes import gateway, subgraphs
from tests.router.execution.shop import SDL

STALLING = "{ topProducts { name } }"


def test_a_planner_past_its_deadline_stops_with_planning_timeout() -> None:
    supergraph = load_supergraph(SDL)

    with pytest.raises(PlanningTimeout) as raised:
        plan_operation(supergraph, parse(STALLING), None, timeout=0.0)

    assert str(raised.value) == "Planning this operation took longer than 0 s."


def test_within_its_deadline_the_planner_plans() -> None:
    plan = plan_operation(load_supergraph(SDL), parse(STALLING), None, timeout=5.0)

    assert [fetch.service for fetch in plan.fetches()] == ["products"]


async def test_a_stalled_planner_answers_planning_failed_and_blocks_no_one() -> None:
    released = threading.Event()

    def planner(
        supergraph: Supergraph, document: DocumentNode, name: str | None, labels: frozenset[str]
    ) -> QueryPlan:
        if document.loc is not None and "topProducts" in document.loc.source.body:
            released.wait(30)  # a planner bug that never checks a deadline
        return plan_operation(supergraph, document, name, labels)

    async with (
        subgraphs() as fakes,
        gateway(SDL, fakes, planner, planning_timeout_seconds=0.2) as router,
    ):
        stalled = asyncio.create_task(router.execute(GraphQLRequest(STALLING), {}))
        other = await router.execute(GraphQLRequest("{ __typename }"), {})
        answer: GraphQLResponse = await stalled
        released.set()

    assert other.body == {"data": {"__typename": "Query"}}
    assert answer.status_code == 500
    [error] = answer.body["errors"]
    assert error["message"] == (
        "The router could not plan this operation: Planning this operation took too long."
    )
    assert error["extensions"]["code"] == "QUERY_PLANNING_FAILED"
    assert len(error["extensions"]["requestId"]) == 32
    assert set(answer.body) == {"errors"}
