"""The catalog subgraph's tables. They live in the catalog database alone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, MetaData, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.platform.columns import NAMING_CONVENTION, UTCDateTime
from subgraphs.platform.events.inbox import inbox_table
from subgraphs.platform.events.outbox import outbox_table


class CatalogTable(DeclarativeBase):
    """Base of every catalog table; its own metadata keeps it apart from other subgraphs."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


metadata = CatalogTable.metadata


class CategoryRow(CatalogTable):
    __tablename__ = "categories"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100), unique=True)


class ProductRow(CatalogTable):
    __tablename__ = "products"
    __table_args__ = (
        # The last line of defence against overselling: whatever the code does,
        # the database refuses a negative stock.
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price_amount >= 0", name="price_not_negative"),
        Index("ix_products_newest", "created_at", "id"),
        Index("ix_products_price", "price_amount", "id"),
        Index("ix_products_name", "name", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    price_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int]
    category_id: Mapped[str | None] = mapped_column(ForeignKey("categories.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Deleted products stay, so past orders can still show what was bought.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReservationKeyRow(CatalogTable):
    """A reservation key's status. A key released or committed before any stock was
    reserved under it (a late reservation) keeps that status with no lines, so that
    nothing is reserved under it afterwards."""

    __tablename__ = "reservation_keys"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # RESERVED, RELEASED, COMMITTED
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReservationRow(CatalogTable):
    """Units of one product held for one order, from checkout until paid or released."""

    __tablename__ = "reservations"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), primary_key=True)
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))  # RESERVED, RELEASED, COMMITTED
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
