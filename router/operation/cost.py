"""The router's cost stage: refuses an operation whose estimate passes the limit.

The estimate itself (`graphql_budget.cost`) is shared with the subgraphs;
this stage caches it per document and shapes the router's refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql_budget.cost import CostEstimator, SlicingArgumentRequired
from router.operation.errors import RequestError, RequestFailure
from router.operation.lru import LruCache
from router.operation.prepared import PreparedOperation


class CostLimit:
    """Refuses operations whose estimate passes `max_cost`, before planning and fetching.

    Estimates of operations without variables are kept per document and
    operation; others depend on the variables and are estimated per request.
    """

    def __init__(self, estimator: CostEstimator, max_cost: int, cache_size: int) -> None:
        self.estimator = estimator
        self.max_cost = max_cost
        self._known: LruCache[tuple[str, str | None], int] = LruCache(cache_size)

    def check(self, prepared: PreparedOperation, variables: Mapping[str, Any]) -> int:
        """The estimate; RequestError `COST_LIMIT_EXCEEDED` when it is over the limit."""
        key = (prepared.hash, prepared.name)
        cacheable = not prepared.operation.variable_definitions
        cost = self._known.get(key) if cacheable else None
        if cost is None:
            try:
                cost = self.estimator.estimate(prepared.operation, prepared.fragments, variables)
            except SlicingArgumentRequired as refused:
                raise RequestError.single(
                    RequestFailure.VALIDATION, str(refused), refused.code
                ) from refused
            if cacheable:
                self._known.put(key, cost)
        if cost > self.max_cost:
            raise RequestError(
                RequestFailure.VALIDATION,
                [
                    {
                        "message": f"The operation's estimated cost is {cost}; the limit "
                        f"(max cost) is {self.max_cost}.",
                        "extensions": {
                            "code": "COST_LIMIT_EXCEEDED",
                            "cost": {"estimated": cost, "max": self.max_cost},
                        },
                    }
                ],
            )
        return cost
