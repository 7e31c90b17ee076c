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
    if query is None:
        raise _bad("A GET request needs a 'query' parameter.")
    return GraphQLRequest(
        query=query,
        operation_name=params.get("operationName") or None,
        variables=_json_object(params.get("variables"), "variables"),
        extensions=_json_object(params.get("extensions"), "extensions"),
        method="GET",
    )


async def request_from_body(request: Request, max_bytes: int) -> GraphQLRequest:
    _check_content_type(request.headers.get("content-type"))
    body = await _read_body(request, max_bytes)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise _bad(f"The request body is not valid JSON: {error.msg}.") from error
    return request_from_payload(payload)


def request_from_payload(payload: Any) -> GraphQLRequest:
    """A request from its JSON object (a POST body, a WebSocket `subscribe` payload)."""
    if not isinstance(payload, dict):
        raise _bad("The request must be a JSON object.")
    query = payload.get("query")
    if not isinstance(query, str):
        raise _bad("The request needs 'query', a string.")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise _bad("'operationName' must be a string or null.")
    return GraphQLRequest(
        query=query,
        operation_name=operation_name or None,
        variables=_object(payload.get("variables"), "variables"),
        extensions=_object(payload.get("extensions"), "extensions"),
        method="POST",
    )


def _check_content_type(content_type: str | None) -> None:
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
    too_large = HttpProblem(
        413, f"The request body is over {max_bytes} bytes.", "PAYLOAD_TOO_LARGE"
    )
    declared = request.headers.get("content-length")
    if declared is not None and not declared.isdigit():
        raise _bad("The Content-Length header is not a number.")
    if declared is not None and int(declared) > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


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
