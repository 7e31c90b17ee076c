"""The insights subgraph's own tables: recommendation counts kept from events, and its inbox.

Everything here is derived from the event log and can be rebuilt from it
(`shopgraph insights rebuild`). Pairs are stored in both directions, so a
product's neighbours are one indexed range read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, MetaData, String, desc
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.platform.columns import NAMING_CONVENTION, UTCDateTime
from subgraphs.platform.events.inbox import inbox_table


class InsightsTable(DeclarativeBase):
    """Base of every insights table; its own metadata keeps it apart from other subgraphs."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


metadata = InsightsTable.metadata


class ProductStateRow(InsightsTable):
    """Whether a product may be recommended: not deleted and in stock (catalog events).
    A product insights never heard of counts as available."""

    __tablename__ = "product_states"

    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deleted: Mapped[bool]
    in_stock: Mapped[bool]
    # The newest catalog event applied: an older one arriving late changes nothing.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OrderBasketRow(InsightsTable):
    """The products of a placed order, until (and after) it is paid."""

    __tablename__ = "order_baskets"

    order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    product_ids: Mapped[str] = mapped_column(String(4000))  # space-separated
    paid: Mapped[bool]


class CoPurchaseRow(InsightsTable):
    """Paid orders that held both products."""

    __tablename__ = "co_purchases"
    # A product's best pairs, in answer order: a read stops after the first few.
    __table_args__ = (Index("ix_co_purchases_rank", "product_id", desc("orders"), "other_id"),)

    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    other_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    orders: Mapped[int]


class SessionViewRow(InsightsTable):
    """A product seen in a session (each pair once)."""

    __tablename__ = "session_views"

    session_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class CoViewRow(InsightsTable):
    """Sessions that viewed both products."""

    __tablename__ = "co_views"
    __table_args__ = (Index("ix_co_views_rank", "product_id", desc("sessions"), "other_id"),)

    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    other_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sessions: Mapped[int]


class UserProductRow(InsightsTable):
    """What a signed-in user viewed and bought: the seeds of personal recommendations."""

    __tablename__ = "user_products"
    __table_args__ = (Index("ix_user_products_seeds", "user_id", desc("bought"), desc("views")),)

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    views: Mapped[int]
    bought: Mapped[bool]


class DailyPopularityRow(InsightsTable):
    """Views plus paid orders per product and UTC day, for "popular this week"."""

    __tablename__ = "daily_popularity"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD
    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    score: Mapped[int]


inbox = inbox_table(metadata)
