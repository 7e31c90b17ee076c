"""The commerce subgraph's tables. They live in the commerce database alone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.platform.columns import NAMING_CONVENTION, UTCDateTime
from subgraphs.platform.events.inbox import inbox_table
from subgraphs.platform.events.outbox import outbox_table


class CommerceTable(DeclarativeBase):
    """Base of every commerce table; its own metadata keeps it apart from other subgraphs."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


metadata = CommerceTable.metadata


class OrderRow(CommerceTable):
    __tablename__ = "orders"
    __table_args__ = (
        # The same key from the same user is the same checkout, however many
        # requests race with it: the second insert finds the first.
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_orders_user_newest", "user_id", "created_at", "id"),
        Index("ix_orders_newest", "created_at", "id"),  # staff: everyone's orders
        Index("ix_orders_expiry", "status", "expires_at"),
        CheckConstraint("total_amount >= 0", name="total_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    # An OrderStatus: a row is written only once its stock is reserved (checkout.py).
    status: Mapped[str] = mapped_column(String(20))
    total_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    # The catalog reservation this order holds now; a payment retry takes a new one.
    reservation_key: Mapped[str] = mapped_column(String(64))
    current_payment_id: Mapped[str | None] = mapped_column(String(36))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CheckoutHoldRow(CommerceTable):
    """Stock a checkout reserved in catalog and has not yet turned into an order.

    Written before the reservation and deleted in the transaction that writes the
    order, so a hold outlives its checkout only when that checkout died or gave
    up: the sweeper releases holds past `expires_at` (`SHOPGRAPH_CHECKOUT_HOLD_SECONDS`).
    """

    __tablename__ = "checkout_holds"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # The catalog reservation, and the id of the order it becomes: new for every hold,
    # since catalog never reserves again under a released key.
    reservation_key: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OrderLineRow(CommerceTable):
    """What was bought, at the name and price of the moment of checkout."""

    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int]
    product_name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))


class PaymentRow(CommerceTable):
    """One attempt to charge an order. The card itself is never stored: only the
    provider's token for it, its brand and its last four digits."""

    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    method_token: Mapped[str] = mapped_column(String(200))
    card_brand: Mapped[str] = mapped_column(String(20))
    card_last4: Mapped[str] = mapped_column(String(4))
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CartLineRow(CommerceTable):
    """The embedded cart store (`shopgraph dev`); production keeps carts in Redis."""

    __tablename__ = "cart_lines"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    quantity: Mapped[int]
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
