"""A subscription through the router's pipeline: prepared, authorized and planned once,
then the rest of its plan run on every event the owning subgraph sends.

The plan of a subscription starts with one fetch, the root fetch: the
subgraph owning the root field gets the subscription itself. What follows
(entity fetches into other subgraphs) runs per event on that event's data,
and the result is shaped as any response is.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLSchema

from router.execution import ExecutionState, PlanExecutor, ResponseShaper, SubgraphResponse
from router.gateway import Gateway
from router.operation import (
    GraphQLRequest,
    PreparedOperation,
    RequestError,
    RequestFailure,
    coerce_variables,
)
from router.planning.errors import PlanningError
from router.planning.plan import Fetch, PlanNode, QueryPlan, Sequence
from router.policies import Authorized


@dataclass(frozen=True, slots=True)
class SubscriptionOperation:
    prepared: PreparedOperation
    variables: dict[str, Any]
    root: Fetch
    rest: PlanNode | None  # None: the root fetch selects everything
    authorized: Authorized | None
    headers: Mapping[str, str]  # the caller's; header rules pick what each subgraph gets
    sent: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # per subgraph, what it gets
    gateway: Gateway  # the one it was planned on: its events run there too

    @property
    def upstream_headers(self) -> dict[str, str]:
        """What the owning subgraph gets on the upstream socket (its upgrade request)."""
        return dict(dict(self.sent)[self.root.service])

    @property
    def root_variables(self) -> dict[str, Any]:
        return {
            name: self.variables[name]
            for name in self.root.variable_usages
            if name in self.variables
        }

    @property
    def key(self) -> Hashable:
        """Two subscriptions with equal keys can share one upstream and one result per event:
        the same plan, the same variables, the same headers at every subgraph."""
        planned = self.authorized.planned if self.authorized else self.prepared
        return (
            planned.hash,
            planned.name,
            self.root.service,
            self.root.operation,
            orjson.dumps(self.variables, option=orjson.OPT_SORT_KEYS),
            self.sent,
        )


async def prepare_subscription(
    gateway: Gateway, request: GraphQLRequest, headers: Mapping[str, str]
) -> SubscriptionOperation:
    """The subscription `request` selects, through the gateway's stages; RequestError if not."""
    await gateway.authorization.authenticate(headers)
    # Trusted documents hold for subscriptions as for queries: in enforce mode a
    # subscription runs only by documentId (or APQ hash), as the registered text.
    request = gateway.trusted.resolve(request)
    prepared = gateway.documents.prepare(request.query).select(request.operation_name)
    if prepared.kind != "subscription":
        raise RequestError.single(
            RequestFailure.OPERATION, f"Expected a subscription, not a {prepared.kind}."
        )
    variables = coerce_variables(gateway.supergraph.api_schema, prepared, request.variables)
    gateway.cost_limit.check(prepared, variables)
    authorized = gateway.authorization.authorize(prepared, headers)
    try:
        plan = await gateway.plan_for(authorized.planned if authorized else prepared)
        root, rest = split_plan(plan)
    except PlanningError as error:
        raise RequestError.single(
            RequestFailure.OPERATION,
            f"The router could not plan this subscription: {error}",
            "QUERY_PLANNING_FAILED",
        ) from error
    caller = {name.lower(): value for name, value in headers.items()}
    rules = gateway.executor.header_rules
    sent = tuple(
        (name, tuple(sorted((rules.outgoing(name, caller) if rules else caller).items())))
        for name in sorted(gateway.clients)
    )
    return SubscriptionOperation(prepared, variables, root, rest, authorized, caller, sent, gateway)


def split_plan(plan: QueryPlan) -> tuple[Fetch, PlanNode | None]:
    """The root fetch of a subscription plan, and what runs after it per event."""
    node = plan.node
    if isinstance(node, Fetch):
        return node, None
    if isinstance(node, Sequence) and node.nodes and isinstance(node.nodes[0], Fetch):
        rest = node.nodes[1:]
        if not rest:
            return node.nodes[0], None
        return node.nodes[0], rest[0] if len(rest) == 1 else Sequence(rest)
    raise PlanningError("a subscription plan must start with a single fetch")


async def run_event(
    executor: PlanExecutor,
    api_schema: GraphQLSchema,
    operation: SubscriptionOperation,
    payload: Mapping[str, Any],
) -> dict[str, Any]:
    """The client's response to one upstream event: the rest of the plan run on its data."""
    state = ExecutionState(operation.variables, operation.headers)
    data, errors = payload.get("data"), payload.get("errors")
    data = data if isinstance(data, dict) else None
    event = SubgraphResponse(data, errors if isinstance(errors, list) else [])
    executor.merge_root(operation.root, event, state)
    if data is not None and operation.rest is not None:
        await executor.resume(operation.rest, state)
    authorized = operation.authorized
    coverage = authorized.coverage(state.coverage) if authorized else state.coverage
    shaper = ResponseShaper(api_schema, operation.prepared, operation.variables, coverage)
    shaped = shaper.shape(state.data) if data is not None else None
    every = (authorized.errors() if authorized else []) + state.errors + shaper.errors
    return {"data": shaped, "errors": every} if every else {"data": shaped}
