"""Trusted documents: requests by document id, and refusing unregistered documents.

The manifest is either the registry's (`{"documents": [{"hash", "body", ...}]}`,
written by `shopgraph schema operations build`) or the plain key-value form
of the GraphQL Trusted Documents convention (`{"sha256:HASH": "document"}`).
A request names a document by `documentId` (`sha256:HASH`, or a bare hash)
or by APQ's `extensions.persistedQuery.sha256Hash`.

Modes: `off` ignores ids; `allow` (the dev default) runs trusted ids and any
document; `enforce` runs trusted ids only and refuses everything else with
`PERSISTED_QUERY_NOT_ALLOWED`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from router.operation.errors import RequestError, RequestFailure
from router.operation.request import GraphQLRequest

NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"


class TrustedDocumentsMode(StrEnum):
    OFF = "off"
    ALLOW = "allow"
    ENFORCE = "enforce"


class ManifestError(ValueError):
    """The trusted documents manifest cannot be read."""


def read_manifest(path: Path) -> dict[str, str]:
    """Hash (hex SHA-256) -> document body."""
    try:
        data: Any = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        raise ManifestError(
            f"cannot read the trusted documents manifest {path}: {error}"
        ) from error
    if isinstance(data, dict) and isinstance(data.get("documents"), list):
        entries = data["documents"]
        if not all(
            isinstance(e, dict)
            and isinstance(e.get("hash"), str)
            and isinstance(e.get("body"), str)
            for e in entries
        ):
            raise ManifestError(f"{path}: every document needs a string hash and body")
        return {e["hash"]: e["body"] for e in entries}
    if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
        return {_bare(k): v for k, v in data.items()}
    raise ManifestError(f"{path} is not a trusted documents manifest")


def named_documents(path: Path) -> dict[str, str]:
    """`client/OperationName` -> body, from the registry's manifest (REST mappings name them so)."""
    try:
        data: Any = orjson.loads(path.read_bytes())
        return {
            f"{entry['client']['name']}/{entry['name']}": entry["body"]
            for entry in data["documents"]
        }
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError) as error:
        raise ManifestError(f"{path} does not name its documents: {error}") from error


def _bare(document_id: str) -> str:
    return document_id.removeprefix("sha256:")


@dataclass(frozen=True)
class TrustedDocuments:
    mode: TrustedDocumentsMode
    documents: Mapping[str, str]  # hex SHA-256 -> body

    def requested_id(self, request: GraphQLRequest) -> str | None:
        if request.document_id:
            return _bare(request.document_id)
        persisted = (request.extensions or {}).get("persistedQuery")
        if isinstance(persisted, dict) and isinstance(persisted.get("sha256Hash"), str):
            return str(persisted["sha256Hash"])
        return None

    def with_known_text(self, request: GraphQLRequest) -> GraphQLRequest:
        """The request with its registered text when it names a known document; else unchanged."""
        if self.mode is TrustedDocumentsMode.OFF or request.query:
            return request
        document_id = self.requested_id(request)
        body = self.documents.get(document_id) if document_id is not None else None
        return request if body is None else replace(request, query=body)

    def resolve(self, request: GraphQLRequest) -> GraphQLRequest:
        """The request with its trusted document's text, or RequestError."""
        if self.mode is TrustedDocumentsMode.OFF:
            return request
        document_id = self.requested_id(request)
        if document_id is None:
            if self.mode is TrustedDocumentsMode.ENFORCE:
                raise RequestError.single(
                    RequestFailure.VALIDATION,
                    "Only trusted documents may be run: send a documentId.",
                    NOT_ALLOWED,
                )
            return request
        body = self.documents.get(document_id)
        if body is not None:
            return replace(request, query=body)
        if self.mode is TrustedDocumentsMode.ENFORCE:
            raise RequestError.single(
                RequestFailure.VALIDATION,
                f"No trusted document has the id {document_id}.",
                NOT_ALLOWED,
            )
        if request.query:
            return request  # allow: an unregistered id with its text runs like any document
        raise RequestError.single(
            RequestFailure.VALIDATION, f"No trusted document has the id {document_id}.", NOT_FOUND
        )
