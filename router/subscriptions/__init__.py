"""Subscriptions through the router: the upstream at the owning subgraph, the rest of the
plan per event, shared upstreams, bounded subscribers and how a subscription ends.

The transports that speak to clients (WebSocket, SSE, multipart) are in `router.http`.
"""

from router.subscriptions.endings import (
    CloseCode,
    SubscriptionEnded,
    SubscriptionErrorCode,
    TokenExpired,
)
from router.subscriptions.hub import HEARTBEAT, SubscriptionHub
from router.subscriptions.operation import SubscriptionOperation

__all__ = [
    "HEARTBEAT",
    "CloseCode",
    "SubscriptionEnded",
    "SubscriptionErrorCode",
    "SubscriptionHub",
    "SubscriptionOperation",
    "TokenExpired",
]
