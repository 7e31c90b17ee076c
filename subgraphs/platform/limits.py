"""Operation limits every subgraph applies itself: tokens, depth, aliases and query nodes.

Subgraph ports are reachable (compose.yaml publishes them), so a subgraph
cannot count on the router having refused a hostile document. The measure is
the router's own (`router.operation.limits`): fragments are measured once
each, so fragments that spread each other twice cannot stall it, which
Strawberry's `QueryDepthLimiter` and `MaxAliasesLimiter` (they expand every
spread) would. The limits sit above the router's defaults, because the
router's fetches for an operation it accepted must pass them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import GraphQLError
from strawberry.extensions import ValidationCache

from router.operation.limits import Measure, excess, measure_operations


@dataclass(frozen=True)
class OperationLimits:
    max_tokens: int = 20_000
    max_depth: int = 64
    max_aliases: int = 256
    max_query_nodes: int = 5_000


class LimitOperations(ValidationCache):
    """Refuses documents past `OperationLimits`; validates (cached) the others.

    It takes the place of Strawberry's `ValidationCache`, which would validate
    (and overwrite the refusal) whatever ran before it.
    """

    def __init__(self, *, limits: OperationLimits, cache_size: int) -> None:
        super().__init__(maxsize=cache_size)
        self.limits = limits

    def on_operation(self) -> Iterator[None]:
        # graphql-core stops parsing past this many tokens.
        self.execution_context.parse_options["max_tokens"] = self.limits.max_tokens
        yield

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        for _, measure in measure_operations(document) if document is not None else ():
            refusal = self._refusal(measure)
            if refusal is not None:
                # Validation never runs: Strawberry returns these errors instead.
                self.execution_context.pre_execution_errors = [refusal]
                yield
                return
        yield from super().on_validate()

    def _refusal(self, measure: Measure) -> GraphQLError | None:
        limits = self.limits
        found = excess(measure, limits.max_depth, limits.max_aliases, limits.max_query_nodes)
        if found is None:
            return None
        code, what = found
        return GraphQLError(f"The operation {what}", extensions={"code": code})
