"""The router's request pipeline, transport aside: operation -> plan -> execute -> response.

`Gateway` owns the document and plan caches and the subgraph clients. The
HTTP layer hands it a `GraphQLRequest` and gets back a `GraphQLResponse`: the
body, the status under `application/graphql-response+json`, and for request
errors which failure it was (the HTTP layer maps that for `application/json`).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import random
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

import orjson
from graphql import DocumentNode

from router.config import RouterConfig
from router.execution import PlanExecutor, ResponseShaper, SubgraphClient, introspect
from router.execution.headers import ALL as ALL_SUBGRAPHS
from router.execution.headers import HeaderRules
from router.execution.inflight import InFlight, Writes
from router.operation import (
    CostEstimator,
    CostLimit,
    DocumentCache,
    DocumentLimits,
    GraphQLRequest,
    LruCache,
    PreparedOperation,
    RequestError,
    RequestFailure,
    coerce_variables,
)
from router.operation.coordinates import field_coordinates
from router.operation.trusted import TrustedDocuments, read_manifest
from router.planning.errors import PlanningError, PlanningTimeout
from router.planning.plan import QueryPlan
from router.planning.planner import plan_operation
from router.policies import Authorization, Authorized, token_subject
from router.supergraph import Supergraph
from router.telemetry import Telemetry, usage_record

log = logging.getLogger(__name__)

# (supergraph, document, operation name, active override labels) -> plan
Planner = Callable[[Supergraph, DocumentNode, str | None, frozenset[str]], QueryPlan]
PlanKey = tuple[str, str | None, frozenset[str]]  # document hash, operation name, labels
# document hash, operation name, override labels, variables (JSON), answer-changing headers
SharingKey = tuple[str, str | None, frozenset[str], bytes, tuple[str | None, ...]]
PERCENT_LABEL = re.compile(r"percent\((\d+(?:\.\d+)?)\)")
# Our planner stops itself at its deadline; a planner that does not is given
# up on this much later, so the client still gets an answer.
PLANNING_GRACE_SECONDS = 0.5


@dataclass(frozen=True)
class GraphQLResponse:
    """A response; shared as it is by identical queries in flight, so never changed."""

    body: dict[str, Any]
    status_code: int = 200  # as `application/graphql-response+json` reports it
    failure: RequestFailure | None = None  # None: the operation ran (or the server failed)
    headers: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def encoded(self) -> bytes:
        """The body as JSON, encoded once however many callers share the response."""
        return orjson.dumps(self.body)


class Gateway:
    def __init__(
        self,
        supergraph: Supergraph,
        config: RouterConfig,
        planner: Planner | None = None,
        telemetry: Telemetry | None = None,
        writes: Writes | None = None,
    ) -> None:
        """`writes` is shared with the gateway this one replaces (hot reload)."""
        self.supergraph = supergraph
        self.telemetry = telemetry or Telemetry()
        self.config = config
        self.planner = planner or partial(plan_operation, timeout=config.planning_timeout_seconds)
        self.documents = DocumentCache(
            supergraph.api_schema,
            DocumentLimits(
                config.max_tokens,
                config.max_depth,
                config.max_aliases,
                config.max_query_nodes,
                config.max_mutation_root_fields,
                not config.suggestions,
            ),
            config.document_cache_size,
            self.telemetry,
        )
        estimator = CostEstimator(supergraph.api_schema, supergraph.costs, config.cost_list_size)
        self.cost_limit = CostLimit(estimator, config.max_cost, config.document_cache_size)
        self.plans: LruCache[PlanKey, QueryPlan] = LruCache(config.plan_cache_size)
        self._labels = supergraph.override_labels
        self.clients = {
            graph.name: SubgraphClient(
                graph.name,
                config.subgraph_urls.get(graph.name, graph.url),
                config.subgraph_timeout(graph.name),
                config.subgraph_pool_size,
            )
            for graph in supergraph.graphs.values()
        }
        # X-Forwarded-For is the client address the router decided (router.http.forwarding).
        forwarded = (*config.forward_headers, "x-forwarded-for")
        rules = HeaderRules(forwarded, config.header_rules)
        self.executor = PlanExecutor(self.clients, supergraph.schema, self.telemetry, rules)
        self.writes = writes or Writes()
        self.queries: InFlight[SharingKey, GraphQLResponse] = InFlight(self.writes)
        # A plan reads no data: writes never keep plannings apart.
        self.plannings: InFlight[PlanKey, QueryPlan] = InFlight(Writes())
        # What of a request can change its answer besides the operation and its
        # variables: the token (authorization) and whatever reaches a subgraph.
        self._answer_headers = tuple(sorted({"authorization", *rules.reads}))
        self.authorization = Authorization(supergraph, config)
        manifest = config.trusted_documents_manifest
        self.trusted = TrustedDocuments(
            config.trusted_documents, read_manifest(manifest) if manifest else {}
        )
        configured = {*config.subgraph_urls, *config.subgraph_timeouts, *config.header_rules}
        for name in configured - set(self.clients) - {ALL_SUBGRAPHS}:
            # Most likely a typo; the setting would otherwise be silently ignored.
            log.warning("configuration names subgraph %r, which the supergraph lacks", name)

    @property
    def ready(self) -> bool:
        return all(client.is_open for client in self.clients.values())

    async def start(self) -> None:
        await self.authorization.start()
        for client in self.clients.values():
            await client.start()
        # What exists now (modules, supergraph, schemas, caches' owners) lives as
        # long as the gateway: out of the cyclic collector's full scans, which
        # otherwise walk ~100,000 such objects and took a third of the CPU of
        # the large bench query. (gc.freeze splices lists: no collection here.)
        gc.freeze()

    async def close(self) -> None:
        await self.authorization.close()
        for client in self.clients.values():
            await client.close()
        # A replaced gateway must be collectable: everything goes back under the
        # collector (the next gateway started freezes what is then alive).
        gc.unfreeze()

    def prepare(self, request: GraphQLRequest) -> PreparedOperation:
        """The operation the request selects, parsed and validated (cached); or RequestError."""
        prepared = self.documents.prepare(request.query).select(request.operation_name)
        if request.method == "GET" and prepared.kind != "query":
            raise RequestError.single(
                RequestFailure.METHOD, f"Only queries may be sent with GET, not a {prepared.kind}."
            )
        if prepared.kind == "subscription":
            raise RequestError.single(
                RequestFailure.OPERATION,
                "A subscription needs a WebSocket (graphql-transport-ws), or a POST accepting "
                'text/event-stream or multipart/mixed; subscriptionSpec="1.0".',
            )
        if prepared.introspection is not None and not self.config.introspection:
            raise RequestError.single(
                RequestFailure.VALIDATION, "Introspection is disabled.", "INTROSPECTION_DISABLED"
            )
        return prepared

    async def plan_for(
        self, prepared: PreparedOperation, labels: frozenset[str] | None = None
    ) -> QueryPlan:
        """The plan (cached by document, operation and override labels, drawn unless given).

        A new plan is made in a worker thread, so the event loop keeps serving
        other requests while it is made.
        """
        if labels is None:
            labels = self.active_labels()
        key = (prepared.hash, prepared.name, labels)
        plan = self.plans.get(key)
        self.telemetry.cache("plan", plan is not None)
        if plan is None:
            # Requests that miss together (a cold start under load) wait for one planning.
            plan = await self.plannings.run(key, partial(self._plan, key, prepared, labels))
        return plan

    async def _plan(
        self, key: PlanKey, prepared: PreparedOperation, labels: frozenset[str]
    ) -> QueryPlan:
        making = asyncio.to_thread(
            self.planner, self.supergraph, prepared.document, prepared.name, labels
        )
        timeout = self.config.planning_timeout_seconds + PLANNING_GRACE_SECONDS
        try:
            plan = await asyncio.wait_for(making, timeout)
        except TimeoutError as error:
            raise PlanningTimeout("Planning this operation took too long.") from error
        self.plans.put(key, plan)
        return plan

    def active_labels(self) -> frozenset[str]:
        """Progressive-override labels on for this request.

        `percent(N)` labels are on for N% of requests, drawn per request;
        other labels are on when the configuration lists them.
        """
        active = set()
        for label in self._labels:
            match = PERCENT_LABEL.fullmatch(label)
            if match is None:
                if label in self.config.override_labels:
                    active.add(label)
            # A traffic split, not a secret: the standard generator is the right tool.
            elif random.random() * 100 < float(match.group(1)):  # noqa: S311
                active.add(label)
        return frozenset(active)

    async def execute(self, request: GraphQLRequest, headers: Mapping[str, str]) -> GraphQLResponse:
        usage = self.telemetry.usage
        if usage is None:
            return await self._answer(request, headers, [])
        started = time.perf_counter()
        prepared: list[PreparedOperation] = []
        response = await self._answer(request, headers, prepared)
        # Refused before an operation was chosen: still one record, without coordinates.
        coordinates = field_coordinates(self.supergraph.api_schema, prepared[0]) if prepared else ()
        usage.record(
            usage_record(
                prepared[0].name if prepared else request.operation_name,
                prepared[0].hash if prepared else _document_hash(request.query),
                headers,
                coordinates,
                (time.perf_counter() - started) * 1000,
                len(response.body.get("errors") or ()),
                token_subject(headers),
            )
        )
        return response

    async def _answer(
        self,
        request: GraphQLRequest,
        headers: Mapping[str, str],
        seen: list[PreparedOperation],
    ) -> GraphQLResponse:
        """The response; the operation it prepared is appended to `seen` (for the usage log)."""
        try:
            await self.authorization.authenticate(headers)
            request = self.trusted.resolve(request)
            prepared = self.prepare(request)
            seen.append(prepared)
            variables = coerce_variables(
                self.supergraph.api_schema, prepared, request.variables, not self.config.suggestions
            )
            self.cost_limit.check(prepared, variables)
        except RequestError as error:
            return request_error(error)
        try:
            # Fields the caller may not see are cut before planning (None: nothing cut).
            authorized = self.authorization.authorize(prepared, headers)
            labels = self.active_labels()
            with self.telemetry.stage("plan"):
                plan = await self.plan_for(authorized.planned if authorized else prepared, labels)
        except PlanningError as error:
            # What no plan can serve (or planning too long): the reason names
            # schema coordinates only, so the client gets it.
            return _internal_error(
                f"The router could not plan this operation: {error}", "QUERY_PLANNING_FAILED"
            )
        except Exception:  # noqa: BLE001 - logged with its traceback in _internal_error
            # A planner bug. Details go to the log, not the client.
            return _internal_error(
                "The router could not plan this operation.", "QUERY_PLANNING_FAILED"
            )
        work = partial(self._executed, prepared, plan, request, variables, headers, authorized)
        if prepared.kind != "query":
            try:
                return await work()
            finally:
                self.writes.finish()
        key = self._sharing_key(prepared, labels, request, headers)
        if key is None:
            return await work()
        return await self.queries.run(key, work)

    def _sharing_key(
        self,
        prepared: PreparedOperation,
        labels: frozenset[str],
        request: GraphQLRequest,
        headers: Mapping[str, str],
    ) -> SharingKey | None:
        """What identical queries have in common; None: this one is not shared."""
        if not self.config.query_deduplication:
            return None
        try:
            variables = orjson.dumps(request.variables, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # not JSON (a transport's own values): no sharing, not an error
            return None
        # The token (in the headers) decides what is planned, and the labels drawn.
        return (
            prepared.hash,
            prepared.name,
            labels,
            variables,
            tuple(headers.get(name) for name in self._answer_headers),
        )

    async def _executed(
        self,
        prepared: PreparedOperation,
        plan: QueryPlan,
        request: GraphQLRequest,
        variables: dict[str, Any],
        headers: Mapping[str, str],
        authorized: Authorized | None,
    ) -> GraphQLResponse:
        try:
            with self.telemetry.stage("execute"):
                return await self._run(prepared, plan, request, variables, headers, authorized)
        except Exception:  # noqa: BLE001 - logged with its traceback in _internal_error
            return _internal_error(
                "The router failed to execute the operation.", "INTERNAL_SERVER_ERROR"
            )

    async def _run(
        self,
        prepared: PreparedOperation,
        plan: QueryPlan,
        request: GraphQLRequest,
        variables: dict[str, Any],
        headers: Mapping[str, str],
        authorized: Authorized | None = None,
    ) -> GraphQLResponse:
        # The executor picks what each subgraph gets (forward_headers, header_rules).
        state = await self.executor.execute(plan, variables, headers)
        if prepared.introspection is not None:
            data, errors = introspect(self.supergraph.api_schema, prepared, request.variables)
            state.data.update(data)
            state.errors += errors
        coverage = authorized.coverage(state.coverage) if authorized else state.coverage
        shaper = ResponseShaper(self.supergraph.api_schema, prepared, variables, coverage)
        shaped = shaper.shape(state.data)
        denied = authorized.errors() if authorized else []
        errors = denied + state.errors + shaper.errors
        body: dict[str, Any] = {"errors": errors, "data": shaped} if errors else {"data": shaped}
        return GraphQLResponse(body)


_FAILURE_HEADERS: dict[RequestFailure, dict[str, str]] = {
    RequestFailure.METHOD: {"allow": "POST"},
    RequestFailure.UNAUTHENTICATED: {"www-authenticate": 'Bearer error="invalid_token"'},
}


def _document_hash(query: str | None) -> str:
    return hashlib.sha256(query.encode()).hexdigest() if query else ""


def request_error(error: RequestError) -> GraphQLResponse:
    """The response to a request refused before execution."""
    extra = _FAILURE_HEADERS.get(error.failure, {})
    return GraphQLResponse({"errors": error.errors}, error.failure.status, error.failure, extra)


def _internal_error(message: str, code: str) -> GraphQLResponse:
    """A failure inside the router: logged with an id the client can quote, 500."""
    request_id = uuid.uuid4().hex
    log.exception("request %s: %s", request_id, message)
    error = {"message": message, "extensions": {"code": code, "requestId": request_id}}
    return GraphQLResponse({"errors": [error]}, 500)
