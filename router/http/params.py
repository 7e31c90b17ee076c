"""Reading a GraphQL-over-HTTP request: GET query parameters or a POST JSON body.

Anything that is not a well-formed GraphQL-over-HTTP request raises
`HttpProblem` with its status: 400 for unparsable JSON or parameters of the
wrong shape, 413 for a body over the limit, 415 for a body that is not JSON.
Bodies are read in chunks and refused as soon as they pass the limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import Request

from router.operation import GraphQLRequest


class HttpProblem(Exception):
    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def _bad(message: str) -> HttpProblem:
    return HttpProblem(400, message, "BAD_REQUEST")


def request_from_query(params: Mapping[str, str]) -> GraphQLRequest:
    """A GET request; an empty parameter counts as absent (GraphQL over HTTP)."""
    query = params.get("query") or None
    extensions = _json_object(params.get("extensions"), "extensions")
    document_id = params.get("documentId") or None
    if query is None and not _names_document(document_id, extensions):
        raise _bad("A GET request needs a 'query' parameter.")
    return GraphQLRequest(
        query=query or "",
        operation_name=params.get("operationName") or None,
        variables=_json_object(params.get("variables"), "variables"),
        extensions=extensions,
        method="GET",
        document_id=document_id,
    )


async def request_from_body(request: Request, max_bytes: int) -> GraphQLRequest:
    """One request from a POST body (a streamed answer carries one operation, never a batch)."""
    payload = await _json_body(request, max_bytes)
    if isinstance(payload, list):
        raise _bad("The request body must be a JSON object.")
    return request_from_payload(payload)


async def requests_from_body(
    request: Request, max_bytes: int, max_batch: int | None
) -> GraphQLRequest | list[GraphQLRequest]:
    """One request, or a batch (a JSON array) when batches are allowed (`max_batch`)."""
    return requests_from_payload(await _json_body(request, max_bytes), max_batch)


async def _json_body(request: Request, max_bytes: int) -> Any:
    check_content_type(request.headers.get("content-type"))
    return _json(await _read_body(request, max_bytes))


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise _bad(f"The request body is not valid JSON: {error.msg}.") from error


def request_from_payload(payload: Any) -> GraphQLRequest:
    """A request from its JSON object (a POST body, a WebSocket `subscribe` payload)."""
    if not isinstance(payload, dict):
        raise _bad("The request must be a JSON object.")
    query = payload.get("query")
    document_id = payload.get("documentId")
    if document_id is not None and not isinstance(document_id, str):
        raise _bad("'documentId' must be a string.")
    extensions = _object(payload.get("extensions"), "extensions")
    if query is None and _names_document(document_id, extensions):
        query = ""  # a trusted document, resolved by the gateway
    if not isinstance(query, str):
        raise _bad("The request needs 'query', a string.")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise _bad("'operationName' must be a string or null.")
    return GraphQLRequest(
        query=query,
        operation_name=operation_name or None,
        variables=_object(payload.get("variables"), "variables"),
        extensions=extensions,
        method="POST",
        document_id=document_id,
    )


def _names_document(document_id: str | None, extensions: Mapping[str, Any] | None) -> bool:
    """Whether the request names a trusted or persisted document instead of sending it."""
    return bool(document_id) or isinstance((extensions or {}).get("persistedQuery"), dict)


def check_content_type(content_type: str | None) -> None:
    media, *params = (part.strip().lower() for part in (content_type or "").split(";"))
    if media != "application/json":
        raise HttpProblem(
            415, "POST bodies must be sent as application/json.", "UNSUPPORTED_MEDIA_TYPE"
        )
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            raise HttpProblem(415, "Request bodies must be UTF-8.", "UNSUPPORTED_MEDIA_TYPE")


async def _read_body(request: Request, max_bytes: int) -> bytes:
    check_declared_length(request.headers.get("content-length"), max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def check_declared_length(declared: str | None, max_bytes: int) -> None:
    """A Content-Length that is not a number (400) or over the limit (413) is refused."""
    if declared is not None and not declared.isdigit():
        raise _bad("The Content-Length header is not a number.")
    if declared is not None and int(declared) > max_bytes:
        raise _too_large(max_bytes)


def _too_large(max_bytes: int) -> HttpProblem:
    return HttpProblem(413, f"The request body is over {max_bytes} bytes.", "PAYLOAD_TOO_LARGE")


def json_payload(body: bytes) -> Any:
    """The JSON of a body read after `check_content_type` and `check_declared_length`."""
    return _json(body)


def requests_from_payload(
    payload: Any, max_batch: int | None
) -> GraphQLRequest | list[GraphQLRequest]:
    """One request, or a batch (a JSON array) when batches are allowed (`max_batch`)."""
    if not isinstance(payload, list):
        return request_from_payload(payload)
    if max_batch is None:
        raise _bad("The request body must be a JSON object (batches are not enabled).")
    if not payload or len(payload) > max_batch:
        raise HttpProblem(
            400,
            f"A batch holds 1 to {max_batch} operations, not {len(payload)}.",
            "BATCH_LIMIT_EXCEEDED",
        )
    return [request_from_payload(item) for item in payload]


def _json_object(text: str | None, name: str) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise _bad(f"'{name}' must be a JSON-encoded object.") from error
    return _object(value, name)


def _object(value: Any, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad(f"'{name}' must be an object or null.")
    return value
