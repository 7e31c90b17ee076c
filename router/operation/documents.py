"""The document stage: parse, limit and validate a client document, once per document.

Outcomes are cached by the SHA-256 of the document text in a bounded LRU,
failures included, so a client repeating a bad document costs a hash and a
lookup, and no stream of distinct documents grows the cache past its size.
A failure is cached as its payload and raised as a new `RequestError` each
time: a cached exception would collect one more traceback per raise.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    validate,
)
from graphql.validation.validate import ValidationAbortedError

from graphql_budget.measure import excess, measure_operations, mutation_root_fields
from router.operation.errors import RequestError, RequestFailure, graphql_errors
from router.operation.lru import LruCache
from router.operation.prepared import PreparedDocument
from router.telemetry import Telemetry

MAX_VALIDATION_ERRORS = 50
# graphql-core stops validating once a document costs more than its work budget
# (comparisons of fields sharing a response name, fragment walks) and says only
# "Validation aborted.": the client is told which limit that was.
ABORTED = "Validation aborted."
BUDGET_MESSAGE = (
    "The document needs more validation work than the validator's budget allows "
    "(graphql-core's MAX_COMPLEXITY_BUDGET of field comparisons, or MAX_FRAGMENT_WORK of "
    "fragment spreads): select fewer fields that share one response name, or fewer fragments."
)


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    max_tokens: int
    max_depth: int
    max_aliases: int
    max_query_nodes: int
    max_mutation_root_fields: int = 5
    # Production: "Did you mean" hints would name fields the caller has not found.
    hide_suggestions: bool = False


@dataclass(frozen=True, slots=True)
class Refusal:
    """A cached failure: what to raise, without the traceback of any raise."""

    failure: RequestFailure
    errors: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, error: RequestError) -> Refusal:
        return cls(error.failure, tuple(error.errors))

    def error(self) -> RequestError:
        return RequestError(self.failure, [dict(e) for e in self.errors])


class DocumentCache:
    def __init__(
        self,
        schema: GraphQLSchema,
        limits: DocumentLimits,
        max_size: int,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.schema = schema
        self.limits = limits
        self.telemetry = telemetry or Telemetry()
        self._cache: LruCache[str, PreparedDocument | Refusal] = LruCache(max_size)

    def __len__(self) -> int:
        return len(self._cache)

    def prepare(self, query: str) -> PreparedDocument:
        """The document ready to execute, or a RequestError saying why it is not."""
        key = hashlib.sha256(query.encode()).hexdigest()
        found = self._cache.get(key)
        self.telemetry.cache("document", found is not None)
        if found is None:
            prepared = self._prepare(query, key)
            found = Refusal.of(prepared) if isinstance(prepared, RequestError) else prepared
            self._cache.put(key, found)
        if isinstance(found, Refusal):
            raise found.error()
        return found

    def _prepare(self, query: str, key: str) -> PreparedDocument | RequestError:
        try:
            with self.telemetry.stage("parse"):
                document = parse(query, no_location=False, max_tokens=self.limits.max_tokens)
        except GraphQLError as error:
            return graphql_errors(RequestFailure.PARSE, [error])
        except RecursionError:
            return RequestError.single(
                RequestFailure.PARSE, "The document is nested too deeply to parse."
            )
        limits = self.limits
        try:
            limit_error = self._check_limits(document)
            if limit_error is not None:
                return limit_error
            with self.telemetry.stage("validate"):
                errors = validate(
                    self.schema,
                    document,
                    max_errors=MAX_VALIDATION_ERRORS,
                    hide_suggestions=limits.hide_suggestions,
                )
        except RecursionError:
            return RequestError.single(
                RequestFailure.VALIDATION, "The document is nested too deeply to validate."
            )
        if any(isinstance(e, ValidationAbortedError) and e.message == ABORTED for e in errors):
            return RequestError.single(
                RequestFailure.VALIDATION, BUDGET_MESSAGE, "VALIDATION_BUDGET_EXCEEDED"
            )
        if errors:
            return graphql_errors(RequestFailure.VALIDATION, errors)
        return PreparedDocument(
            document=document,
            hash=key,
            operations=tuple(
                d for d in document.definitions if isinstance(d, OperationDefinitionNode)
            ),
            fragments={
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            },
        )

    def _check_limits(self, document: DocumentNode) -> RequestError | None:
        limits = self.limits
        for operation, measure in measure_operations(document):
            found = excess(measure, limits.max_depth, limits.max_aliases, limits.max_query_nodes)
            if found is not None:
                code, what = found
                label = f"Operation '{operation.name.value}'" if operation.name else "The operation"
                return RequestError.single(RequestFailure.VALIDATION, f"{label} {what}", code)
            roots = mutation_root_fields(document, operation)
            if roots > limits.max_mutation_root_fields:
                label = f"Mutation '{operation.name.value}'" if operation.name else "The mutation"
                return RequestError.single(
                    RequestFailure.VALIDATION,
                    f"{label} runs {roots} root fields; the limit is "
                    f"{limits.max_mutation_root_fields} per mutation.",
                    "MAX_MUTATION_ROOT_FIELDS_EXCEEDED",
                )
        return None
