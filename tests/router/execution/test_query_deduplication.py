"""Identical queries in flight run once (`Gateway.queries`); what can change an answer keeps them apart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from router.gateway import Gateway, GraphQLResponse
from router.operation import GraphQLRequest
from tests.router.execution.fakes import Answer, Handler, answer, gateway, subgraphs
from tests.router.execution.shop import SDL

QUERY = "query Top($first: Int) { topProducts(first: $first) { name } }"
TOP = {"topProducts": [{"name": "Table"}]}
MUTATION = 'mutation { addReview(upc: "1", body: "ok") { id } }'


class Gate:
    """A subgraph handler held until `open()`; `arrived` is set by each request reaching it."""

    def __init__(self, then: Handler) -> None:
        self.then = then
        self.arrived = asyncio.Event()
        self._open = asyncio.Event()

    def open(self) -> None:
        self._open.set()

    async def __call__(self, body: dict[str, Any]) -> Answer:
        self.arrived.set()
        await self._open.wait()
        result = self.then(body)
        assert not asyncio.iscoroutine(result)
        return result  # type: ignore[return-value]  # the handlers given here are plain


async def until(condition: Callable[[], bool]) -> None:
    """Lets the event loop run until `condition` holds (every step is an event, no timer)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


def ask(
    router: Gateway,
    headers: Mapping[str, str] | None = None,
    variables: dict[str, Any] | None = None,
    query: str = QUERY,
) -> asyncio.Task[GraphQLResponse]:
    request = GraphQLRequest(query, variables=variables)
    return asyncio.create_task(router.execute(request, dict(headers or {})))


async def all_waiting(router: Gateway, gate: Gate, count: int) -> None:
    await gate.arrived.wait()
    await until(lambda: router.queries.waiting == count)


async def test_identical_queries_in_flight_reach_the_subgraph_once_and_all_get_the_answer() -> None:
    gate = Gate(answer(TOP))
    async with subgraphs(products=gate) as fakes, gateway(SDL, fakes) as router:
        asked = [ask(router, {"authorization": "Bearer t"}, {"first": 1}) for _ in range(5)]
        await all_waiting(router, gate, 5)
        gate.open()
        responses = await asyncio.gather(*asked)
        assert router.queries.waiting == 0  # dropped once done

    assert [r.body for r in responses] == [{"data": TOP}] * 5
    assert all(r is responses[0] for r in responses)  # one response, encoded once
    assert len(fakes["products"].received) == 1
    assert router.queries.shared == 4


async def test_a_query_after_the_shared_one_finished_is_fetched_again() -> None:
    async with subgraphs(products=answer(TOP)) as fakes, gateway(SDL, fakes) as router:
        first = await router.execute(GraphQLRequest(QUERY), {})
        second = await router.execute(GraphQLRequest(QUERY), {})

    assert first.body == second.body == {"data": TOP}
    assert len(fakes["products"].received) == 2  # in flight only: nothing cached


async def _fetches_for(
    headers: list[dict[str, str]],
    variables: list[dict[str, Any] | None] | None = None,
    **config: Any,
) -> int:
    """How many fetches products got for queries sent at once with these headers (and variables)."""
    gate = Gate(answer(TOP))
    async with subgraphs(products=gate) as fakes, gateway(SDL, fakes, **config) as router:
        given = variables or [None] * len(headers)
        asked = [ask(router, h, v) for h, v in zip(headers, given, strict=True)]
        await all_waiting(router, gate, len(headers))
        gate.open()
        responses = await asyncio.gather(*asked)
    assert [r.body for r in responses] == [{"data": TOP}] * len(headers)
    return len(fakes["products"].received)


async def test_different_tokens_do_not_share() -> None:
    fetched = await _fetches_for([{"authorization": "Bearer a"}, {"authorization": "Bearer b"}])
    assert fetched == 2


async def test_a_token_the_subgraphs_never_get_still_keeps_callers_apart() -> None:
    # The router decides what a token may see (policies) even when it is not forwarded.
    fetched = await _fetches_for(
        [{"authorization": "Bearer a"}, {"authorization": "Bearer b"}], forward_headers=[]
    )
    assert fetched == 2


async def test_different_propagated_headers_do_not_share_and_others_do() -> None:
    rules = {"products": [{"propagate": "x-tenant"}]}
    apart = await _fetches_for([{"x-tenant": "a"}, {"x-tenant": "b"}], header_rules=rules)
    shared = await _fetches_for([{"x-other": "a"}, {"x-other": "b"}], header_rules=rules)
    assert (apart, shared) == (2, 1)


async def test_different_client_addresses_do_not_share() -> None:
    fetched = await _fetches_for([{"x-forwarded-for": "10.0.0.1"}, {"x-forwarded-for": "10.0.0.2"}])
    assert fetched == 2


async def test_different_variables_do_not_share() -> None:
    fetched = await _fetches_for([{}, {}], [{"first": 1}, {"first": 2}])
    assert fetched == 2


async def test_with_the_setting_off_every_query_is_fetched() -> None:
    gate = Gate(answer(TOP))
    async with (
        subgraphs(products=gate) as fakes,
        gateway(SDL, fakes, query_deduplication=False) as router,
    ):
        asked = [ask(router) for _ in range(2)]
        await until(lambda: len(fakes["products"].received) == 2)
        gate.open()
        responses = await asyncio.gather(*asked)

    assert [r.body for r in responses] == [{"data": TOP}] * 2
    assert router.queries.shared == 0


async def test_identical_mutations_are_never_shared() -> None:
    gate = Gate(answer({"addReview": {"id": "r1"}}))
    async with subgraphs(reviews=gate) as fakes, gateway(SDL, fakes) as router:
        asked = [ask(router, query=MUTATION) for _ in range(2)]
        await until(lambda: len(fakes["reviews"].received) == 2)
        gate.open()
        responses = await asyncio.gather(*asked)

    assert [r.body for r in responses] == [{"data": {"addReview": {"id": "r1"}}}] * 2
    assert router.queries.shared == 0


async def test_a_query_after_a_mutation_ended_does_not_join_one_started_before() -> None:
    gate = Gate(answer(TOP))
    reviews = answer({"addReview": {"id": "r1"}})
    async with subgraphs(products=gate, reviews=reviews) as fakes, gateway(SDL, fakes) as router:
        before = ask(router)
        await all_waiting(router, gate, 1)
        await router.execute(GraphQLRequest(MUTATION), {})
        after = ask(router)
        await until(lambda: len(fakes["products"].received) == 2)
        joined = ask(router)  # joins `after`: no write ended since it started
        await until(lambda: router.queries.waiting == 2)  # `before` is no longer joinable
        gate.open()
        responses = await asyncio.gather(before, after, joined)

    assert [r.body for r in responses] == [{"data": TOP}] * 3
    assert len(fakes["products"].received) == 2
    assert router.queries.shared == 1


async def test_a_cancelled_caller_leaves_the_others_their_answer() -> None:
    gate = Gate(answer(TOP))
    async with subgraphs(products=gate) as fakes, gateway(SDL, fakes) as router:
        first, second, third = [ask(router) for _ in range(3)]
        await all_waiting(router, gate, 3)
        first.cancel()  # the one that started the work
        await until(lambda: router.queries.waiting == 2)
        gate.open()
        responses = await asyncio.gather(second, third)

    assert first.cancelled()
    assert [r.body for r in responses] == [{"data": TOP}] * 2
    assert len(fakes["products"].received) == 1


async def test_when_every_caller_left_the_next_one_starts_afresh() -> None:
    gate = Gate(answer(TOP))
    async with subgraphs(products=gate) as fakes, gateway(SDL, fakes) as router:
        gone = [ask(router) for _ in range(2)]
        await all_waiting(router, gate, 2)
        for task in gone:
            task.cancel()
        await until(lambda: router.queries.waiting == 0)
        fresh = ask(router)
        await until(lambda: len(fakes["products"].received) == 2)
        gate.open()
        response = await fresh

    assert all(task.cancelled() for task in gone)
    assert response.body == {"data": TOP}


async def test_a_failure_is_shared_like_an_answer() -> None:
    gate = Gate(lambda _: web.Response(status=502, text="bad gateway"))
    async with subgraphs(products=gate) as fakes, gateway(SDL, fakes) as router:
        asked = [ask(router) for _ in range(3)]
        await all_waiting(router, gate, 3)
        gate.open()
        responses = await asyncio.gather(*asked)

    error = {
        "message": "Fetch from subgraph 'products' failed: it answered HTTP 502.",
        "path": ["topProducts"],
        "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": "products"},
    }
    assert [r.body for r in responses] == [{"errors": [error], "data": None}] * 3
    assert len(fakes["products"].received) == 1
