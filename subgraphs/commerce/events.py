"""The events commerce emits.

- `order.placed`: checkout wrote an order; the payments worker charges it.
- `order.payment_retried`: the customer gave a new card for a failed order.
- `order.status_changed`: any move of the state machine, with from/to and why.
- `payment.succeeded` / `payment.failed`: the payments worker's outcomes. With
  `"orderMoved": true` the worker moved the order itself, in the transaction that
  recorded the outcome and wrote this event (its `order.status_changed` is beside
  it); otherwise the outcome consumer moves it (background.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from subgraphs.commerce.domain import OrderLine, OrderStatus
from subgraphs.commerce.models import OrderRow, PaymentRow
from subgraphs.platform.events import Event

ORDER_PLACED = "order.placed"
PAYMENT_RETRIED = "order.payment_retried"
STATUS_CHANGED = "order.status_changed"
PAYMENT_SUCCEEDED = "payment.succeeded"
PAYMENT_FAILED = "payment.failed"


def order_placed(order: OrderRow, lines: list[OrderLine], payment_id: str) -> Event:
    return Event.new(
        ORDER_PLACED,
        order.id,
        {
            "userId": order.user_id,
            "paymentId": payment_id,
            "total": str(order.total_amount),
            "currency": order.currency,
            "lines": [
                {
                    "productId": line.product_id,
                    "quantity": line.quantity,
                    "unitPrice": str(line.unit_price),
                }
                for line in lines
            ],
        },
    )


def payment_retried(order: OrderRow, payment_id: str) -> Event:
    return Event.new(
        PAYMENT_RETRIED,
        order.id,
        {"userId": order.user_id, "paymentId": payment_id, "total": str(order.total_amount)},
    )


class OrderFacts(Protocol):
    """What `order.status_changed` tells of its order: an `OrderRow`, or a Core row of
    those columns (the outcome consumer's)."""

    @property
    def id(self) -> str: ...
    @property
    def user_id(self) -> str: ...
    @property
    def total_amount(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...


def status_changed(
    order: OrderFacts, before: OrderStatus | None, after: OrderStatus, reason: str
) -> Event:
    return Event.new(
        STATUS_CHANGED,
        order.id,
        {
            "userId": order.user_id,
            "from": before.value if before else None,
            "to": after.value,
            "reason": reason,
            "total": str(order.total_amount),
            "currency": order.currency,
        },
    )


def payment_outcome(payment: PaymentRow, *, order_moved: bool = False) -> Event:
    kind = PAYMENT_SUCCEEDED if payment.failure_reason is None else PAYMENT_FAILED
    return Event.new(
        kind,
        payment.id,
        {
            "orderId": payment.order_id,
            "amount": str(payment.amount),
            "currency": payment.currency,
            "failureReason": payment.failure_reason,
            "orderMoved": order_moved,
        },
    )


def order_moved(outcome: Event) -> bool:
    """Whether the payments worker moved the order of `outcome` itself (see above)."""
    return outcome.payload.get("orderMoved") is True
