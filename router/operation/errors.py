"""Request errors: a client request that cannot be executed, and why.

Each kind knows its HTTP status under both response media types, as the
GraphQL-over-HTTP specification (Stage 2 draft, the text graphql-http's audit
checks) assigns them: `application/graphql-response+json` gets 4xx for every
request error; `application/json` keeps 400 for requests that are not
well-formed GraphQL-over-HTTP requests and answers 200 otherwise, so legacy
clients always find a GraphQL body behind a 200.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any


class RequestFailure(Enum):
    # (code, status with application/graphql-response+json, status with application/json)
    MALFORMED = ("BAD_REQUEST", 400, 400)  # not a well-formed GraphQL-over-HTTP request
    PARSE = ("GRAPHQL_PARSE_FAILED", 400, 200)
    VALIDATION = ("GRAPHQL_VALIDATION_FAILED", 400, 200)
    OPERATION = ("OPERATION_RESOLUTION_FAILURE", 400, 200)  # GetOperation() failed
    VARIABLES = ("BAD_USER_INPUT", 400, 200)  # CoerceVariableValues() failed
    METHOD = ("METHOD_NOT_ALLOWED", 405, 405)  # a mutation over GET
    UNAUTHENTICATED = ("UNAUTHENTICATED", 401, 401)  # a bearer token that does not verify
    # APQ: the client resends with the query; 200, as Apollo answers it.
    PERSISTED_QUERY_NOT_FOUND = ("PERSISTED_QUERY_NOT_FOUND", 200, 200)

    def __init__(self, code: str, status: int, legacy_status: int) -> None:
        self.code = code
        self.status = status
        self.legacy_status = legacy_status


class RequestError(Exception):
    """Stops a request before execution; `errors` are GraphQL errors, ready to serialize."""

    def __init__(self, failure: RequestFailure, errors: Sequence[dict[str, Any]]) -> None:
        super().__init__(errors[0]["message"] if errors else failure.code)
        self.failure = failure
        self.errors = list(errors)

    @classmethod
    def single(cls, failure: RequestFailure, message: str, code: str | None = None) -> RequestError:
        return cls(failure, [{"message": message, "extensions": {"code": code or failure.code}}])


def graphql_errors(failure: RequestFailure, errors: Sequence[Any]) -> RequestError:
    """A request error from graphql-core errors, each tagged with the failure's code."""
    formatted = []
    for error in errors:
        entry: dict[str, Any] = dict(error.formatted)
        entry["extensions"] = {**(entry.get("extensions") or {}), "code": failure.code}
        formatted.append(entry)
    return RequestError(failure, formatted)
