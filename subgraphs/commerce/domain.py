"""Commerce values and rules in plain Python: order and payment states and their moves."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from subgraphs.commerce.errors import CommerceErrorCode
from subgraphs.platform.errors import DomainError

MAX_LINE_QUANTITY = 99
MAX_CART_LINES = 100
IDEMPOTENCY_KEY_MAX = 200


class OrderStatus(enum.Enum):
    PENDING_PAYMENT = "PENDING_PAYMENT"
    PAID = "PAID"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    CANCELLED = "CANCELLED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    REFUNDED = "REFUNDED"


class PaymentStatus(enum.Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REFUNDED = "REFUNDED"


# The whole state machine. Anything not listed is an illegal move.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset(
        {OrderStatus.PAID, OrderStatus.PAYMENT_FAILED, OrderStatus.CANCELLED}
    ),
    OrderStatus.PAYMENT_FAILED: frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.REFUNDED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}

# The states in which the order holds reserved (not yet sold) stock.
HOLDS_STOCK = frozenset({OrderStatus.PENDING_PAYMENT})


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    """Raises INVALID_STATE unless the state machine allows `current` -> `target`."""
    if target not in TRANSITIONS[current]:
        raise DomainError(
            CommerceErrorCode.INVALID_STATE,
            f"an order that is {current.value} cannot become {target.value}",
            ["status"],
        )


@dataclass(frozen=True, slots=True)
class OrderLine:
    product_id: str
    product_name: str
    quantity: int
    unit_price: Decimal
    currency: str

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class Payment:
    id: str
    order_id: str
    status: PaymentStatus
    amount: Decimal
    currency: str
    card_brand: str
    card_last4: str
    failure_reason: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    user_id: str
    status: OrderStatus
    total: Decimal
    currency: str
    lines: tuple[OrderLine, ...]
    created_at: datetime
    updated_at: datetime


def check_quantity(quantity: int, *, allow_zero: bool = False) -> None:
    low = 0 if allow_zero else 1
    if not low <= quantity <= MAX_LINE_QUANTITY:
        raise DomainError(
            CommerceErrorCode.INVALID_QUANTITY,
            f"quantity must be between {low} and {MAX_LINE_QUANTITY}",
            ["quantity"],
        )


def check_idempotency_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX:
        raise DomainError(
            CommerceErrorCode.INVALID_IDEMPOTENCY_KEY,
            f"the idempotency key must have 1 to {IDEMPOTENCY_KEY_MAX} characters",
            ["idempotencyKey"],
        )
    return key
