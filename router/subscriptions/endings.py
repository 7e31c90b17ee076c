"""How a subscription ends other than by completing: one exception per reason.

Each carries the GraphQL error the client gets (an `error` message over
WebSocket, an error event over SSE and multipart) and, for the reasons that
condemn the whole WebSocket, the close code. Codes follow graphql-transport-ws
where it has one (4403 Forbidden for an expired token); a slow client gets 4008.
A subscription still running on a replaced supergraph when the drain time is
up gets 1012 (Service Restart): graphql-ws clients reconnect on it by
themselves and subscribe again, on the new supergraph.
"""

from __future__ import annotations

import enum
from typing import Any


class CloseCode(enum.IntEnum):
    GOING_AWAY = 1001  # the router shuts down
    SERVICE_RESTART = 1012  # the supergraph was replaced: subscribe again
    TRY_AGAIN_LATER = 1013  # too many connections
    SLOW_CLIENT = 4008  # its buffer of unread events filled up
    BAD_REQUEST = 4400
    UNAUTHORIZED = 4401  # subscribe before connection_ack
    FORBIDDEN = 4403  # credentials refused, or the token expired
    SUBPROTOCOL_NOT_ACCEPTABLE = 4406
    INIT_TIMEOUT = 4408
    SUBSCRIBER_EXISTS = 4409
    TOO_MANY_INITIALISATION_REQUESTS = 4429


class SubscriptionErrorCode(enum.StrEnum):
    TOKEN_EXPIRED = "TOKEN_EXPIRED"  # noqa: S105 - an error code, not a secret
    UPSTREAM_CLOSED = "SUBSCRIPTION_UPSTREAM_CLOSED"
    SLOW_CLIENT = "SUBSCRIPTION_CLIENT_TOO_SLOW"
    SHUTTING_DOWN = "SHUTTING_DOWN"
    SCHEMA_RELOAD = "SUBSCRIPTION_SCHEMA_RELOAD"  # Apollo Router's code for the same ending
    TOO_MANY_CONNECTIONS = "TOO_MANY_SUBSCRIPTION_CONNECTIONS"


class SubscriptionEnded(Exception):
    """The subscription cannot go on; `error` says why, `close_code` what a socket gets."""

    code: SubscriptionErrorCode
    close_code: CloseCode | None = None  # None: only this operation ends, not the socket

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def error(self) -> dict[str, Any]:
        return {"message": self.message, "extensions": {"code": self.code.value}}


class TokenExpired(SubscriptionEnded):
    code = SubscriptionErrorCode.TOKEN_EXPIRED
    close_code = CloseCode.FORBIDDEN

    def __init__(self) -> None:
        super().__init__("The access token has expired; subscribe again with a fresh token.")


class UpstreamClosed(SubscriptionEnded):
    code = SubscriptionErrorCode.UPSTREAM_CLOSED


class SlowClient(SubscriptionEnded):
    code = SubscriptionErrorCode.SLOW_CLIENT
    close_code = CloseCode.SLOW_CLIENT

    def __init__(self, limit: int) -> None:
        super().__init__(f"The client read too slowly: {limit} events were waiting.")


class ShuttingDown(SubscriptionEnded):
    code = SubscriptionErrorCode.SHUTTING_DOWN
    close_code = CloseCode.GOING_AWAY

    def __init__(self) -> None:
        super().__init__("The router is shutting down; subscribe again.")


class SchemaReloaded(SubscriptionEnded):
    code = SubscriptionErrorCode.SCHEMA_RELOAD
    close_code = CloseCode.SERVICE_RESTART

    def __init__(self) -> None:
        super().__init__("The router now serves a new supergraph; subscribe again.")


class TooManyConnections(SubscriptionEnded):
    code = SubscriptionErrorCode.TOO_MANY_CONNECTIONS
    close_code = CloseCode.TRY_AGAIN_LATER

    def __init__(self, limit: int) -> None:
        super().__init__(f"The router already serves {limit} subscription connections.")
