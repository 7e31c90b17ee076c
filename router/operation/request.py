"""A GraphQL request as the router receives it, whatever the transport."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    query: str
    operation_name: str | None = None
    variables: Mapping[str, Any] | None = None
    extensions: Mapping[str, Any] | None = None
    # GET may only run queries; the transport says which method carried the request.
    method: Literal["GET", "POST"] = "POST"
    # A trusted document's id (`documentId`); `query` is then empty until resolved.
    document_id: str | None = None
