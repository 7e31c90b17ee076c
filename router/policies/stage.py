"""The authorization stage: between validation and planning, per request.

For an operation that selects protected fields, the caller's token decides
which requirements fail; the fields carrying them are cut from the operation
that gets planned, and come back null with one `UNAUTHORIZED_FIELD_OR_TYPE`
error each. The cut operation has its own hash, so the plan cache never hands
one caller's plan to a caller with different access. Operations that select
no protected field (decided once per operation) skip all of it. A token that
is sent is verified first in any case (`authenticate`): a bad one is a 401.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import parse, print_ast

from router.config import RouterConfig
from router.execution.coverage import ErrorCoverage
from router.operation import LruCache, PreparedOperation, RequestError, RequestFailure
from router.policies.caller import TokenVerifier
from router.policies.coverage import DeniedCoverage
from router.policies.filtering import ErrorPath, filter_operation, touched
from router.policies.requirements import AccessRules, Requirement, read_rules
from router.supergraph import Supergraph

UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"
OperationKey = tuple[str, str | None]  # (document hash, operation name)


@dataclass(frozen=True, slots=True)
class Authorized:
    """The operation a caller may run: what to plan, and what was removed."""

    planned: PreparedOperation
    removed: tuple[ErrorPath, ...]

    def errors(self) -> list[dict[str, Any]]:
        return [
            {
                "message": "Unauthorized field or type",
                "path": list(path),
                "extensions": {"code": UNAUTHORIZED},
            }
            for path in self.removed
        ]

    def coverage(self, inner: ErrorCoverage) -> ErrorCoverage:
        return DeniedCoverage(inner, self.removed)


class Authorization:
    def __init__(self, supergraph: Supergraph, config: RouterConfig) -> None:
        self.schema = supergraph.api_schema
        self.rules: AccessRules = read_rules(parse(supergraph.sdl), supergraph.api_schema)
        self.verifier = TokenVerifier(
            config.jwt_public_key,
            config.jwks_url,
            config.jwt_issuer,
            config.jwt_audience,
            jwks_refresh_seconds=config.jwks_refresh_seconds,
            jwks_min_refetch_seconds=config.jwks_min_refetch_seconds,
        )
        # Requirements each operation meets; empty for most, which then cost one lookup.
        self._touched: LruCache[OperationKey, frozenset[Requirement]] = LruCache(
            config.document_cache_size
        )
        # (operation, denied requirements) -> the cut operation.
        self._cut: LruCache[tuple[OperationKey, frozenset[Requirement]], Authorized] = LruCache(
            config.plan_cache_size
        )

    async def start(self) -> None:
        await self.verifier.start()

    async def close(self) -> None:
        await self.verifier.close()

    async def authenticate(self, headers: Mapping[str, str]) -> None:
        """RequestError UNAUTHENTICATED (401) when the bearer token sent does not verify."""
        await self.verifier.prepare(headers)
        reason = self.verifier.rejection(headers)
        if reason is not None:
            raise RequestError.single(RequestFailure.UNAUTHENTICATED, reason)

    def authorize(
        self, prepared: PreparedOperation, headers: Mapping[str, str]
    ) -> Authorized | None:
        """What the caller may run of `prepared`; None when that is all of it."""
        if not self.rules:
            return None
        key = (prepared.hash, prepared.name)
        needed = self._touched.get(key)
        if needed is None:
            needed = touched(self.schema, self.rules, prepared.operation, prepared.fragments)
            self._touched.put(key, needed)
        if not needed:
            return None
        caller = self.verifier.caller(headers)
        denied = frozenset(r for r in needed if not caller.satisfies(r))
        if not denied:
            return None
        cut_key = (key, denied)
        authorized = self._cut.get(cut_key)
        if authorized is None:
            authorized = self._cut_down(prepared, denied)
            self._cut.put(cut_key, authorized)
        return authorized

    def _cut_down(self, prepared: PreparedOperation, denied: frozenset[Requirement]) -> Authorized:
        cut = filter_operation(
            self.schema, self.rules, prepared.operation, prepared.fragments, denied
        )
        digest = hashlib.sha256(print_ast(cut.document).encode()).hexdigest()
        planned = dataclasses.replace(
            prepared,
            document=cut.document,
            operation=cut.operation,
            fragments={},
            hash=f"{prepared.hash}/authorized:{digest}",
            collected={},
        )
        return Authorized(planned, cut.removed)
