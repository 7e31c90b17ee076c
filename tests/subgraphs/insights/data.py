"""Deterministic shop history for the analytics and recommendation tests: three orders
(two paid), views, cart adds, searches and router usage records, at fixed times."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from subgraphs.platform.events import Event, JSONObject

T0 = datetime(2026, 11, 2, 10, 15, tzinfo=UTC)


def event(type: str, subject: str, payload: JSONObject, at: datetime) -> Event:
    return Event(uuid.uuid4(), type, 1, at, subject, payload)


def placed(order: str, user: str, lines: list[tuple[str, int, str]], at: datetime) -> Event:
    total = sum((q * Decimal(p) for _, q, p in lines), Decimal("0.00"))
    return event(
        "order.placed",
        order,
        {
            "userId": user,
            "paymentId": f"pay-{order}",
            "total": str(total),
            "currency": "USD",
            "lines": [{"productId": p, "quantity": q, "unitPrice": u} for p, q, u in lines],
        },
        at,
    )


def paid(order: str, user: str, total: str, at: datetime) -> Event:
    payload: JSONObject = {
        "userId": user,
        "from": "PENDING_PAYMENT",
        "to": "PAID",
        "reason": "paid",
        "total": total,
        "currency": "USD",
    }
    return event("order.status_changed", order, payload, at)


def tracked(kind: str, session: str, user: str | None, at: datetime, **fields: object) -> Event:
    payload: JSONObject = {"sessionId": session, "userId": user}
    payload.update(fields)  # type: ignore[arg-type]  # JSON values
    return event(kind, session, payload, at)


def usage(name: str, duration: float, errors: int, at: datetime) -> Event:
    payload: JSONObject = {
        "operationName": name,
        "documentHash": f"hash-{name}",
        "clientName": "storefront",
        "clientVersion": "1.0",
        "durationMs": duration,
        "errors": errors,
        "userHash": "",
    }
    return event("operation.executed", name, payload, at)


def history() -> list[Event]:
    minute = timedelta(minutes=1)
    hour = timedelta(hours=1)
    return [
        placed("A", "u1", [("p1", 2, "10.00"), ("p2", 1, "5.50")], T0),
        paid("A", "u1", "25.50", T0 + 5 * minute),
        placed("B", "u2", [("p1", 1, "10.00")], T0 + hour),
        paid("B", "u2", "10.00", T0 + hour + minute),
        placed("C", "u3", [("p3", 1, "99.99")], T0 + 2 * hour),
        tracked("product.viewed", "s1", "u1", T0 - minute, productId="p1"),
        tracked("product.viewed", "s1", "u1", T0 - minute, productId="p2"),
        tracked("product.viewed", "s2", None, T0, productId="p1"),
        tracked("product.viewed", "s3", "u3", T0, productId="p3"),
        tracked("product.added_to_cart", "s1", "u1", T0, productId="p1", quantity=2),
        tracked("product.added_to_cart", "s3", "u3", T0, productId="p3", quantity=1),
        tracked("product.searched", "s1", "u1", T0, query="Lamp"),
        tracked("product.searched", "s2", None, T0, query="lamp ", results=0),
        tracked("product.searched", "s2", None, T0, query="chair", results=3),
        *(usage("Products", float(d), 1 if d in (3, 7) else 0, T0) for d in range(1, 21)),
        usage("Me", 5.0, 1, T0),
    ]
