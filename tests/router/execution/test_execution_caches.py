"""Document and plan caches: bounded, and validation and planning once per document."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from graphql import DocumentNode, validate

import router.operation.documents
from router.operation import GraphQLRequest
from router.planning.plan import QueryPlan
from router.supergraph import Supergraph
from tests.router.execution.fakes import gateway, subgraphs
from tests.router.execution.shop import SDL


class CountingPlanner:
    def __init__(self) -> None:
        self.calls: list[str | None] = []
        self.count = 0

    def __call__(
        self,
        supergraph: Supergraph,
        document: DocumentNode,
        operation_name: str | None,
        labels: frozenset[str],
    ) -> QueryPlan:
        self.count += 1
        if self.count <= 100:  # names of the first few; a record of all would grow the process
            self.calls.append(operation_name)
        return QueryPlan(None)


async def test_ten_thousand_distinct_documents_never_grow_the_caches_past_their_size() -> None:
    planner = CountingPlanner()
    async with (
        subgraphs() as fakes,
        gateway(SDL, fakes, planner, document_cache_size=100, plan_cache_size=50) as router,
    ):
        for i in range(10_000):
            response = await router.execute(GraphQLRequest(f"query Q{i} {{ __typename }}"), {})
            assert response.body == {"data": {"__typename": "Query"}}
            assert len(router.documents) <= 100
            assert len(router.plans) <= 50

        assert len(router.documents) == 100
        assert len(router.plans) == 50
        assert planner.count == 10_000

        # With both caches full, more distinct documents replace entries
        # instead of adding objects to the process.
        alive = []
        for start in (10_000, 12_000):
            for i in range(start, start + 2_000):
                await router.execute(GraphQLRequest(f"query Q{i} {{ __typename }}"), {})
            gc.collect()
            alive.append(len(gc.get_objects()))
        assert alive[1] - alive[0] < 200, f"{alive[1] - alive[0]} more live objects"


async def test_a_repeated_document_is_validated_and_planned_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    validations: list[DocumentNode] = []
    real_validate = validate  # what the document stage imports

    def counting_validate(*args: Any, **kwargs: Any) -> Any:
        validations.append(args[1])
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(router.operation.documents, "validate", counting_validate)
    planner = CountingPlanner()
    document = "query A { __typename } query B { me: __typename }"
    async with subgraphs() as fakes, gateway(SDL, fakes, planner) as gateway_:
        for name in ["A", "B", "A", "B", "A"]:
            await gateway_.execute(GraphQLRequest(document, operation_name=name), {})

    assert len(validations) == 1
    assert planner.calls == ["A", "B"]


async def test_invalid_documents_are_cached_as_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    validations: list[DocumentNode] = []
    real_validate = validate  # what the document stage imports

    def counting_validate(*args: Any, **kwargs: Any) -> Any:
        validations.append(args[1])
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(router.operation.documents, "validate", counting_validate)
    async with subgraphs() as fakes, gateway(SDL, fakes, CountingPlanner()) as gateway_:
        first = await gateway_.execute(GraphQLRequest("{ nope }"), {})
        second = await gateway_.execute(GraphQLRequest("{ nope }"), {})

    assert first.body == second.body
    assert first.body["errors"][0]["message"] == "Cannot query field 'nope' on type 'Query'."
    assert len(validations) == 1


LABELLED_SDL = SDL.replace(
    "nickname: String @join__field(graph: USERS)",
    'nickname: String @join__field(graph: USERS, override: "reviews", overrideLabel: "percent(100)")'
    '\n  price2: Int @join__field(graph: USERS, override: "products", overrideLabel: "percent(0)")'
    '\n  beta: Int @join__field(graph: USERS, override: "reviews", overrideLabel: "beta")',
)


async def test_progressive_override_labels_are_drawn_per_request_and_key_the_plan() -> None:
    received: list[frozenset[str]] = []

    def planner(
        supergraph: Supergraph,
        document: DocumentNode,
        operation_name: str | None,
        labels: frozenset[str],
    ) -> QueryPlan:
        received.append(labels)
        return QueryPlan(None)

    async with (
        subgraphs() as fakes,
        gateway(LABELLED_SDL, fakes, planner, override_labels=["beta"]) as on,
        gateway(LABELLED_SDL, fakes, planner) as off,
    ):
        for _ in range(3):
            await on.execute(GraphQLRequest("{ __typename }"), {})
        await off.execute(GraphQLRequest("{ __typename }"), {})
        keys = on.plans.keys()

    assert received == [frozenset({"percent(100)", "beta"}), frozenset({"percent(100)"})]
    assert [labels for _, _, labels in keys] == [frozenset({"percent(100)", "beta"})]


async def test_requests_missing_the_plan_cache_together_wait_for_one_planning() -> None:
    planner = CountingPlanner()
    # Different tokens: the queries themselves are not shared, their plan is.
    tokens = [{"authorization": f"Bearer {n}"} for n in range(5)]
    async with subgraphs() as fakes, gateway(SDL, fakes, planner) as router:
        request = GraphQLRequest("query Top { __typename }")
        responses = await asyncio.gather(*(router.execute(request, t) for t in tokens))

    assert [r.body for r in responses] == [{"data": {"__typename": "Query"}}] * 5
    assert planner.calls == ["Top"]
    assert router.queries.shared == 0
