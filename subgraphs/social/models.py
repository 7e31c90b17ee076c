"""The social subgraph's tables. They live in the social database alone.

`products` is social's own record of which catalog products exist (fed by
catalog's events) and carries each product's rating aggregates, so a product
card costs one row read. `purchase_lines` and `paid_orders` are what commerce's
events told social about who bought what.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.platform.columns import NAMING_CONVENTION, UTCDateTime
from subgraphs.platform.events.inbox import inbox_table
from subgraphs.platform.events.outbox import outbox_table


class SocialTable(DeclarativeBase):
    """Base of every social table; its own metadata keeps it apart from other subgraphs."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


metadata = SocialTable.metadata


class ProductRow(SocialTable):
    """A catalog product as social knows it, with the aggregates of its PUBLISHED reviews."""

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint(
            "review_count >= 0 AND stars_1 >= 0 AND stars_2 >= 0 AND stars_3 >= 0 "
            "AND stars_4 >= 0 AND stars_5 >= 0",
            name="counts_not_negative",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_count: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)
    stars_1: Mapped[int] = mapped_column(default=0)
    stars_2: Mapped[int] = mapped_column(default=0)
    stars_3: Mapped[int] = mapped_column(default=0)
    stars_4: Mapped[int] = mapped_column(default=0)
    stars_5: Mapped[int] = mapped_column(default=0)


class ReviewRow(SocialTable):
    __tablename__ = "reviews"
    __table_args__ = (
        # One review per user and product, however many requests race to add it.
        UniqueConstraint("author_id", "product_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_in_range"),
        CheckConstraint("helpful_count >= 0", name="helpful_not_negative"),
        # One index per sort of a product's reviews; each ends in the keyset tie-breakers.
        Index("ix_reviews_product_newest", "product_id", "status", "created_at", "id"),
        Index(
            "ix_reviews_product_helpful",
            "product_id",
            "status",
            "helpful_count",
            "created_at",
            "id",
        ),
        Index("ix_reviews_product_rating", "product_id", "status", "rating", "created_at", "id"),
        Index("ix_reviews_author_newest", "author_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    author_id: Mapped[str] = mapped_column(String(64))
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # PUBLISHED or HIDDEN
    helpful_count: Mapped[int] = mapped_column(default=0)
    verified_purchase: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HelpfulVoteRow(SocialTable):
    """One user found one review helpful; the key makes it once per user and review."""

    __tablename__ = "helpful_votes"

    review_id: Mapped[str] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ModerationRow(SocialTable):
    """Who hid or restored a review, when and why. Kept after the review is deleted."""

    __tablename__ = "moderation_actions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    review_id: Mapped[str] = mapped_column(String(36), index=True)
    action: Mapped[str] = mapped_column(String(16))  # HIDDEN or RESTORED
    actor_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PurchaseLineRow(SocialTable):
    """A product in an order a user placed (from `order.placed`), paid or not yet."""

    __tablename__ = "purchase_lines"
    __table_args__ = (Index("ix_purchase_lines_buyer", "user_id", "product_id"),)

    order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))


class PaidOrderRow(SocialTable):
    """An order that reached PAID. Never removed: a refund keeps the purchase history."""

    __tablename__ = "paid_orders"

    order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)


outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
