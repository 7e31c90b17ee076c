"""Shoppers' activity: `track_event` turns a storefront call into a tracking event.

An event carries the session (the `x-shopgraph-session` header the storefront
sets; a signed-in caller without one is tracked under its user id), the user
when signed in, and what was viewed, added or searched. Calls are limited per
session, and the event goes to the tracking buffer, not to a database.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from subgraphs.insights.analytics.facts import ADDED_TO_CART, SEARCHED, VIEWED
from subgraphs.insights.errors import InsightsErrorCode
from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.errors import DomainError
from subgraphs.platform.events import Event, JSONObject

if TYPE_CHECKING:
    from subgraphs.insights.services import InsightsServices

SESSION_HEADER = "x-shopgraph-session"
MAX_SESSION_CHARS = 128
MAX_QUERY_CHARS = 200


class TrackedEventType(enum.Enum):
    PRODUCT_VIEWED = "PRODUCT_VIEWED"
    SEARCHED = "SEARCHED"
    ADDED_TO_CART = "ADDED_TO_CART"


EVENT_TYPE = {
    TrackedEventType.PRODUCT_VIEWED: VIEWED,
    TrackedEventType.SEARCHED: SEARCHED,
    TrackedEventType.ADDED_TO_CART: ADDED_TO_CART,
}


@dataclass(frozen=True)
class Activity:
    type: TrackedEventType
    product_id: str | None = None
    query: str | None = None


def session_of(header: str | None, principal: Principal | None) -> str:
    session = (header or "").strip()
    if not session:
        if principal is None:
            raise DomainError(
                InsightsErrorCode.SESSION_REQUIRED,
                f"anonymous calls need the {SESSION_HEADER} header",
            )
        return f"user:{principal.user_id}"
    if len(session) > MAX_SESSION_CHARS:
        raise DomainError(InsightsErrorCode.INVALID_INPUT, "the session id is too long")
    return session


def tracking_event(activity: Activity, session: str, principal: Principal | None) -> Event:
    payload: JSONObject = {
        "sessionId": session,
        "userId": principal.user_id if principal else None,
    }
    if activity.type is TrackedEventType.SEARCHED:
        query = (activity.query or "").strip()
        if not query or len(query) > MAX_QUERY_CHARS:
            raise DomainError(
                InsightsErrorCode.INVALID_INPUT,
                f"a search needs a query of 1 to {MAX_QUERY_CHARS} characters",
                ["input", "query"],
            )
        payload["query"] = query
    else:
        if not activity.product_id:
            raise DomainError(
                InsightsErrorCode.INVALID_INPUT,
                "this event needs a productId",
                ["input", "productId"],
            )
        payload["productId"] = activity.product_id
        if activity.type is TrackedEventType.ADDED_TO_CART:
            payload["quantity"] = 1
    # Keyed by session: one session's events stay in order in the log.
    return Event.new(EVENT_TYPE[activity.type], session, payload)


async def track_event(
    services: InsightsServices,
    principal: Principal | None,
    session_header: str | None,
    activity: Activity,
) -> None:
    session = session_of(session_header, principal)
    event = tracking_event(activity, session, principal)
    if await services.track_limiter.hit(session) > services.track_limiter.limit:
        raise DomainError(InsightsErrorCode.RATE_LIMITED, "too many events from this session")
    if not services.tracker.offer(event):
        raise DomainError(InsightsErrorCode.OVERLOADED, "tracking is busy; the event was dropped")
