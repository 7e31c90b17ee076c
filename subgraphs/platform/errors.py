"""How failures reach clients.

Expected failures a client can act on (bad input, not allowed, out of stock)
are raised by the domain as `DomainError` with a stable code and returned as
`UserError` data by a mutation, or as a GraphQL error with that code by a
query (which has no `errors` field): resolvers raise, and the mapping happens
here, once. Access failures on a field are GraphQL errors with a code in
`extensions`. Anything unexpected is logged with the request id and reaches
the client as a bare internal error, never a stack trace.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.federation.schema_directives import ListSize

from subgraphs.platform.transient import log_failure

log = logging.getLogger("shopgraph.errors")
# A few errors at most, as the router's cost estimate assumes (@listSize).
USER_ERRORS_SIZE = ListSize(
    assumed_size=5, slicing_arguments=None, sized_fields=None, require_one_slicing_argument=None
)


# Every subgraph returns UserError: a value type, shareable across subgraphs.
@strawberry.federation.type(
    shareable=True,
    description="Errors a client can act on come back as data, never as a server error.",
)
class UserError:
    field: list[str] | None = strawberry.field(directives=[USER_ERRORS_SIZE])
    message: str
    code: str


def user_error_list() -> list[UserError]:
    """The `errors` field of a mutation payload: empty unless something went wrong."""
    field: list[UserError] = strawberry.field(default_factory=list, directives=[USER_ERRORS_SIZE])
    return field


@strawberry.federation.type(shareable=True, description="The answer of every delete mutation.")
class DeletePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = user_error_list()


class PlatformErrorCode(enum.StrEnum):
    """Codes the shared platform raises on a subgraph's behalf; each subgraph that can
    answer with one declares it in its own enum too."""

    INVALID_CURSOR = "INVALID_CURSOR"


class DomainError(Exception):
    """An expected failure with a stable code; the API layer returns it as a UserError."""

    def __init__(
        self, code: enum.StrEnum, message: str, field: Sequence[str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = list(field) if field is not None else None

    def to_user_error(self) -> UserError:
        return UserError(field=self.field, message=self.message, code=self.code)


class InvalidInput(Exception):
    """Several `DomainError`s at once, so a form can show every bad field in one go."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = list(errors)

    def to_user_errors(self) -> list[UserError]:
        return [error.to_user_error() for error in self.errors]


def user_errors(error: DomainError | InvalidInput) -> list[UserError]:
    if isinstance(error, InvalidInput):
        return error.to_user_errors()
    return [error.to_user_error()]


class DomainErrorsAsPayload(FieldExtension):
    """Maps a mutation's DomainError / InvalidInput to its payload's `errors`.

    `federation_schema` puts it on every mutation whose payload has an
    `errors` field, so resolvers raise and never repeat the try/except.
    """

    def __init__(self, payload: Callable[..., object]) -> None:
        self.payload = payload

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except (DomainError, InvalidInput) as error:
            return self.payload(errors=user_errors(error))


class AccessError(GraphQLError):
    """A GraphQL error for a field the caller may not see (or not without signing in)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def query_error(error: DomainError, located: GraphQLError | None = None) -> GraphQLError:
    """A DomainError raised by a query, which has no `errors` field to carry it.

    `located` is the error graphql-core made of it, whose place in the document
    and in the response the answer keeps.
    """
    extensions: dict[str, object] = {"code": error.code}
    if error.field is not None:
        extensions["field"] = error.field
    if located is None:
        return GraphQLError(error.message, extensions=extensions)
    return GraphQLError(
        error.message, nodes=located.nodes, path=located.path, extensions=extensions
    )


def unauthenticated() -> AccessError:
    return AccessError("sign in to see this", "UNAUTHENTICATED")


def forbidden() -> AccessError:
    return AccessError("you are not allowed to see this", "FORBIDDEN")


class MaskInternalErrors(SchemaExtension):
    """Answers a DomainError a query raised with its code, and hides unexpected
    exceptions from the client, giving it the request id instead.

    The schema logs those first (`log_unexpected`, from `process_errors`).
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        request_id = _request_id(self.execution_context.context)
        result.errors = [self._masked(error, request_id) for error in result.errors]

    @staticmethod
    def _masked(error: GraphQLError, request_id: str) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            return error
        if isinstance(original, DomainError):
            return query_error(original, error)
        return GraphQLError(
            "internal server error",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )


def log_unexpected(errors: Sequence[GraphQLError], context: object) -> None:
    """Logs each error an exception caused, once, with the request id: one WARNING line
    for an outage (a peer restarting), ERROR with the traceback for a bug.

    Errors raised on purpose (syntax, validation, access, domain refusals) are the
    client's answer, not the operator's problem: they are not logged.
    """
    for error in errors:
        original = error.original_error
        if original is None or isinstance(original, (GraphQLError, DomainError)):
            continue
        log_failure(log, original, f"request {_request_id(context)} failed at {error.path}")


def _request_id(context: object) -> str:
    return str(getattr(context, "request_id", "-"))
