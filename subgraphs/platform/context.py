"""What a resolver gets as `info.context`: the caller, the request id, the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from starlette.requests import Request
from starlette.websockets import WebSocket

from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.errors import forbidden, unauthenticated
from subgraphs.platform.limits import OperationLimits

ServicesT = TypeVar("ServicesT")
LoadersT = TypeVar("LoadersT")


@dataclass
class RequestContext(Generic[ServicesT, LoadersT]):
    request: Request | WebSocket
    request_id: str
    principal: Principal | None
    services: ServicesT
    # DataLoaders live for one request only, so batches never mix callers.
    loaders: LoadersT
    # Another subgraph calling with the service token (internal operations).
    is_service: bool = False
    # A WebSocket's `connection_init` payload, set by Strawberry; None over HTTP.
    connection_params: dict[str, object] | None = None
    # When the principal's token expires; on a socket, nothing runs for it after that.
    principal_expires_at: datetime | None = None
    # SHOPGRAPH_ENV=production: the schema is not shown (`exposure.HideSchema`).
    production: bool = False
    # The operation limits configured for this process (SHOPGRAPH_SUBGRAPH_MAX_*);
    # None: the schema's own defaults.
    limits: OperationLimits | None = None

    def require_service(self) -> None:
        if not self.is_service:
            raise forbidden()

    def require_principal(self) -> Principal:
        expires_at = self.principal_expires_at
        if expires_at is not None and expires_at <= datetime.now(UTC):
            self.principal = None
        if self.principal is None:
            raise unauthenticated()
        return self.principal
