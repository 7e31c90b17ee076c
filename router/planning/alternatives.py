"""Choosing among alternative plans by a stated cost, with a bounded search.

Where several subgraphs could serve a root field or be jumped to, the planner
asks a `Choices` which candidate to take; candidates come in the order of the
planner's own preference, so taking the first everywhere is its default
plan. `cheapest` plans the default, then tries other candidates one choice
point at a time, keeping a change only when it makes the plan cheaper, until
nothing improves or the budget of plans is spent. A plan costs its number of
fetches first, then the length of its critical path (fetches that must run
one after another), so equal plans keep the default and the search never
explodes on a large operation.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from router.planning.errors import PlanningError, PlanningTimeout
from router.planning.plan import Condition, Fetch, Flatten, Parallel, PlanNode, QueryPlan

MAX_PLANS = 24  # plans made for one operation, the default included

T = TypeVar("T")
Cost = tuple[int, int]
UNPLANNED: Cost = (2**31, 2**31)  # worse than any plan


@dataclass
class Choices:
    """Which candidate each choice point takes (the first unless assigned)."""

    assignment: dict[Hashable, int] = field(default_factory=dict)
    # Choice points met while planning, with how many candidates each had.
    met: dict[Hashable, int] = field(default_factory=dict)

    def pick(self, point: Hashable, candidates: Sequence[T]) -> T:
        if len(candidates) > 1:
            self.met.setdefault(point, len(candidates))
        index = self.assignment.get(point, 0)
        return candidates[index if index < len(candidates) else 0]


def cheapest(make: Callable[[Choices], QueryPlan], budget: int = MAX_PLANS) -> QueryPlan:
    """The cheapest plan `make` gives over the choices tried (see module)."""
    best_choices = Choices()
    failure: PlanningError | None = None
    try:
        best: QueryPlan | None = make(best_choices)
    except PlanningTimeout:
        raise
    except PlanningError as error:
        # The first guess may lead to a dead end where another choice does not.
        best, failure = None, error
    best_cost = cost(best) if best is not None else UNPLANNED
    made = 1
    improved = True
    while improved and made < budget:
        improved = False
        for point, count in list(best_choices.met.items()):
            for index in range(count):
                if index == best_choices.assignment.get(point, 0) or made >= budget:
                    continue
                choices = Choices({**best_choices.assignment, point: index})
                made += 1
                try:
                    plan = make(choices)
                except PlanningTimeout:
                    if best is None:
                        raise
                    return best  # out of time for alternatives: the best so far stands
                except PlanningError:
                    continue  # this alternative leads nowhere; others may
                if cost(plan) < best_cost:
                    best, best_cost, best_choices, improved = plan, cost(plan), choices, True
            if improved:
                break  # start again from the better plan's choice points
    if best is not None:
        return best
    raise failure or PlanningError("no plan found")


def cost(plan: QueryPlan) -> Cost:
    return len(plan.fetches()), _critical_path(plan.node)


def _critical_path(node: PlanNode | None) -> int:
    if node is None:
        return 0
    if isinstance(node, (Fetch, Flatten)):
        return 1
    if isinstance(node, Parallel):
        return max((_critical_path(child) for child in node.nodes), default=0)
    if isinstance(node, Condition):
        return max(_critical_path(node.if_clause), _critical_path(node.else_clause))
    return sum(_critical_path(child) for child in node.nodes)
