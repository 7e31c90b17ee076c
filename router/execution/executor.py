"""Running a query plan: fetches against the subgraphs, merged into one data tree.

Sequence nodes run in order, Parallel nodes together, Condition nodes by a
variable, Flatten nodes as one `_entities` fetch for every object found at
their path so far. The result is the merged data (keyed by the client's
response keys, with whatever extra keys the planner asked for), the errors
re-pathed to the client's paths, and which paths those errors explain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLSchema

from router.execution.clients import SubgraphClient, SubgraphFailure, SubgraphResponse
from router.execution.coverage import ErrorCoverage, materialize
from router.execution.entities import EntityBatch, combined, entity_batch, objects_at
from router.execution.headers import HeaderRules
from router.execution.merge import merge_into, rename_back
from router.execution.subgraph_errors import (
    client_error,
    common_prefix,
    error_path,
    failure_error,
    fetch_scope,
)
from router.planning.plan import Condition, Fetch, Flatten, Parallel, PlanNode, QueryPlan
from router.telemetry import Telemetry

# A branch of a Parallel node: a node, or entity fetches sent as one request.
Branch = PlanNode | tuple[Flatten, ...]


def parallel_branches(node: Parallel) -> list[Branch]:
    """The branches of `node`, its entity fetches of one operation at several paths joined.

    Plans fetch entities per path (Apollo's shape); siblings that send the same
    operation to the same subgraph go as one request with every path's
    representations, deduplicated across paths.
    """
    branches: list[Branch] = []
    joined: dict[tuple[str, tuple[str, ...]], int] = {}
    for child in node.nodes:
        if isinstance(child, Flatten) and child.node.requires is not None:
            fetch = child.node
            index = joined.get((fetch.service, fetch.variable_usages))
            if index is not None:
                first = branches[index]
                if isinstance(first, tuple) and _same_fetch(first[0].node, fetch):
                    branches[index] = (*first, child)
                    continue
            joined[(fetch.service, fetch.variable_usages)] = len(branches)
            branches.append((child,))
        else:
            branches.append(child)
    return branches


def _same_fetch(first: Fetch, other: Fetch) -> bool:
    """Both ask the same of each representation (their operations differ by name at most)."""
    if first.selection is None or other.selection is None:
        same = first.operation == other.operation  # made by hand: no selection to compare
    else:
        same = first.selection == other.selection
    return (
        same
        and first.requires == other.requires
        and first.rename_typename_to == other.rename_typename_to
        and first.renames == other.renames
    )


@dataclass(slots=True)
class ExecutionState:
    variables: Mapping[str, Any]
    headers: Mapping[str, str]
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    coverage: ErrorCoverage = field(default_factory=ErrorCoverage)


class PlanExecutor:
    def __init__(
        self,
        clients: Mapping[str, SubgraphClient],
        schema: GraphQLSchema,
        telemetry: Telemetry | None = None,
        header_rules: HeaderRules | None = None,
    ) -> None:
        self.clients = clients
        # None: every fetch carries the headers given to `execute` as they are.
        self.header_rules = header_rules
        self.telemetry = telemetry or Telemetry()
        self.schema = schema  # the supergraph's: objects may be of types clients cannot see

    async def execute(
        self, plan: QueryPlan, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> ExecutionState:
        state = ExecutionState(variables, headers)
        if plan.node is not None:
            await self._run(plan.node, state)
        return state

    async def resume(self, node: PlanNode, state: ExecutionState) -> None:
        """Runs `node` on data a root fetch already produced (a subscription's event)."""
        await self._run(node, state)

    async def _run(self, node: PlanNode, state: ExecutionState) -> None:
        if isinstance(node, Fetch):
            await self._root_fetch(node, state)
        elif isinstance(node, Flatten):
            await self._entity_fetch((node,), state)
        elif isinstance(node, Parallel):
            # A TaskGroup, not gather: should one branch fail unexpectedly, the
            # others are cancelled instead of running on unobserved.
            async with asyncio.TaskGroup() as group:
                for part in parallel_branches(node):
                    if isinstance(part, tuple):
                        group.create_task(self._entity_fetch(part, state))
                    else:
                        group.create_task(self._run(part, state))
        elif isinstance(node, Condition):
            branch = node.if_clause if state.variables.get(node.variable) else node.else_clause
            if branch is not None:
                await self._run(branch, state)
        else:
            for child in node.nodes:
                await self._run(child, state)

    async def _fetch(
        self, fetch: Fetch, variables: dict[str, Any], state: ExecutionState
    ) -> SubgraphResponse:
        for name in fetch.variable_usages:
            if name in state.variables:
                variables[name] = state.variables[name]
        client = self.clients.get(fetch.service)
        if client is None:
            raise SubgraphFailure("the router has no client for it")
        given = state.headers
        if self.header_rules is not None:
            given = self.header_rules.outgoing(fetch.service, state.headers)
        with self.telemetry.fetch(fetch.service, given) as headers:
            return await client.fetch(fetch.operation, variables, headers)

    async def _root_fetch(self, fetch: Fetch, state: ExecutionState) -> None:
        try:
            response = await self._fetch(fetch, {}, state)
        except SubgraphFailure as failure:
            keys = fetch_scope(fetch, entity=False)
            for key in keys:
                state.errors.append(failure_error(fetch.service, failure.reason, (key,)))
                state.coverage.add((key,))
            if not keys:  # an operation we cannot read still fails visibly
                state.errors.append(failure_error(fetch.service, failure.reason, None))
            return
        if response.rejected:
            # Refused as a whole: each error stands at every field the fetch fills.
            keys = fetch_scope(fetch, entity=False)
            for error in response.errors:
                for key in keys:
                    state.errors.append(client_error(error, fetch.service, [key]))
                if not keys:
                    state.errors.append(client_error(error, fetch.service, None))
            for key in keys:
                state.coverage.add((key,))
            return
        self.merge_root(fetch, response, state)

    def merge_root(self, fetch: Fetch, response: SubgraphResponse, state: ExecutionState) -> None:
        """A root fetch's answer (or a subscription's event) merged in, errors placed."""
        if response.data is not None:
            rename_back(response.data, fetch.renames)
            merge_into(state.data, response.data)
        unplaced = False
        for error in response.errors:
            path = error_path(error)
            state.errors.append(client_error(error, fetch.service, path))
            if path:
                state.coverage.add(path)
            else:
                unplaced = True
        if unplaced or response.data is None:
            for key in fetch_scope(fetch, entity=False):
                state.coverage.add((key,))

    async def _entity_fetch(self, flattens: tuple[Flatten, ...], state: ExecutionState) -> None:
        """One `_entities` request for the objects at the paths of `flattens` (one fetch)."""
        fetch = flattens[0].node
        if fetch.requires is None:
            await self._root_fetch(fetch, state)
            return
        batches = [
            entity_batch(
                objects_at(state.data, flatten.path),
                fetch.requires,
                self.schema,
                fetch.rename_typename_to,
            )
            for flatten in flattens
        ]
        batch = batches[0] if len(batches) == 1 else combined(batches)
        if batch.unrepresentable and state.errors:
            # Their key fields are missing because an earlier fetch failed; that
            # error explains these objects' missing fields as well.
            self._cover(fetch, [tuple(materialize(at)) for at in batch.unrepresentable], state)
        if not batch.representations:
            return
        try:
            response = await self._fetch(fetch, {"representations": batch.representations}, state)
        except SubgraphFailure as failure:
            for at_path in batches:  # an error at each path, as if fetched apart
                paths = at_path.paths()
                if paths:
                    reason = failure.reason
                    state.errors.append(failure_error(fetch.service, reason, common_prefix(paths)))
                    self._cover(fetch, paths, state)
            return
        entities = (response.data or {}).get("_entities")
        if isinstance(entities, list):
            for index, entity in enumerate(entities[: len(batch.targets)]):
                if not isinstance(entity, dict):
                    continue
                rename_back(entity, fetch.renames)
                if fetch.rename_typename_to is not None:
                    # The subgraph names the interface; the object keeps its own type.
                    entity = {k: v for k, v in entity.items() if k != "__typename"}
                for obj, _ in batch.targets[index]:
                    merge_into(obj, entity)
        if response.rejected:
            # Refused as a whole: the errors stand where the entities would have gone.
            for at_path in batches:
                paths = at_path.paths()
                if paths:
                    placed = list(common_prefix(paths)) or None
                    for error in response.errors:
                        state.errors.append(client_error(error, fetch.service, placed))
                    self._cover(fetch, paths, state)
            return
        self._entity_errors(fetch, batch, response, isinstance(entities, list), state)

    def _entity_errors(
        self,
        fetch: Fetch,
        batch: EntityBatch,
        response: SubgraphResponse,
        answered: bool,
        state: ExecutionState,
    ) -> None:
        unplaced = not answered
        for error in response.errors:
            path = error_path(error)
            index = path[1] if path and len(path) > 1 and path[0] == "_entities" else None
            if not isinstance(index, int) or not 0 <= index < len(batch.targets):
                state.errors.append(client_error(error, fetch.service, None))
                unplaced = True
                continue
            for _, at in batch.targets[index]:
                # `path` is a list here: it started with "_entities" and an index.
                client_path = [*materialize(at), *path[2:]]  # type: ignore[index]
                state.errors.append(client_error(error, fetch.service, client_path))
                state.coverage.add(client_path)
        if unplaced:
            self._cover(fetch, batch.paths(), state)

    def _cover(
        self, fetch: Fetch, paths: list[tuple[str | int, ...]], state: ExecutionState
    ) -> None:
        keys = fetch_scope(fetch, entity=True)
        for at in paths:
            for key in keys:
                state.coverage.add((*at, key))
