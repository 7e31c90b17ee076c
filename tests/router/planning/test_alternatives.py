"""The search over alternative plans: its cost order and its bound."""

from __future__ import annotations

import pytest

from router.planning.alternatives import MAX_PLANS, Choices, cheapest, cost
from router.planning.errors import PlanningError, PlanningTimeout
from router.planning.plan import Fetch, Flatten, Parallel, QueryPlan, Sequence


def fetches(count: int, *, chained: bool) -> QueryPlan:
    nodes = tuple(Flatten(("a",), Fetch("s", "{ a }")) for _ in range(count))
    return QueryPlan(Sequence(nodes) if chained else Parallel(nodes))


def test_fewer_fetches_beat_a_shorter_critical_path() -> None:
    assert cost(fetches(2, chained=True)) == (2, 2)
    assert cost(fetches(3, chained=False)) == (3, 1)
    assert cost(fetches(2, chained=True)) < cost(fetches(3, chained=False))
    assert cost(fetches(2, chained=False)) < cost(fetches(2, chained=True))


def test_a_large_operation_makes_at_most_the_budget_of_plans() -> None:
    made: list[Choices] = []

    def make(choices: Choices) -> QueryPlan:
        made.append(choices)
        picked = [choices.pick(("field", n), [0, 1, 2]) for n in range(200)]
        return fetches(1 + sum(picked), chained=False)

    plan = cheapest(make)

    assert len(made) == MAX_PLANS
    assert cost(plan) == (1, 1)


def test_a_cheaper_alternative_is_taken_and_equal_ones_are_not() -> None:
    def make(choices: Choices) -> QueryPlan:
        root = choices.pick("root", ["A", "B", "C"])
        return fetches({"A": 3, "B": 2, "C": 2}[root], chained=False)

    assert cost(cheapest(make)) == (2, 1)
    chosen: list[str] = []

    def record(choices: Choices) -> QueryPlan:
        chosen.append(choices.pick("root", ["A", "B"]))
        return fetches(2, chained=False)

    cheapest(record)
    assert chosen == ["A", "B"]  # B was tried, A (the first) kept


def test_a_dead_end_first_guess_gives_way_to_an_alternative() -> None:
    def make(choices: Choices) -> QueryPlan:
        if choices.pick("root", ["A", "B"]) == "A":
            raise PlanningError("T.f cannot be reached from subgraph 'a'")
        return fetches(1, chained=False)

    assert cost(cheapest(make)) == (1, 1)


def test_when_every_choice_is_a_dead_end_the_first_reason_is_raised() -> None:
    def make(choices: Choices) -> QueryPlan:
        raise PlanningError(f"dead end at {choices.pick('root', ['A', 'B'])}")

    with pytest.raises(PlanningError, match="dead end at A"):
        cheapest(make)


def test_running_out_of_time_among_alternatives_keeps_the_best_so_far() -> None:
    def make(choices: Choices) -> QueryPlan:
        if choices.pick("root", ["A", "B"]) == "B":
            raise PlanningTimeout("Planning this operation took longer than 1 s.")
        return fetches(2, chained=False)

    assert cost(cheapest(make)) == (2, 1)


def test_running_out_of_time_without_any_plan_is_a_timeout() -> None:
    def make(choices: Choices) -> QueryPlan:
        raise PlanningTimeout("Planning this operation took longer than 1 s.")

    with pytest.raises(PlanningTimeout):
        cheapest(make)
