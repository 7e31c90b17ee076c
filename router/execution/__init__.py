"""The execution stage: a query plan run against the subgraphs, and the response shaped."""

from router.execution.clients import SubgraphClient, SubgraphFailure, SubgraphResponse
from router.execution.coverage import ErrorCoverage
from router.execution.executor import ExecutionState, PlanExecutor
from router.execution.introspection import introspect
from router.execution.shaping import ResponseShaper

__all__ = [
    "ErrorCoverage",
    "ExecutionState",
    "PlanExecutor",
    "ResponseShaper",
    "SubgraphClient",
    "SubgraphFailure",
    "SubgraphResponse",
    "introspect",
]
