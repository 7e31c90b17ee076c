"""The users subgraph's tables. They live in the users database alone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.platform.columns import NAMING_CONVENTION, UTCDateTime
from subgraphs.platform.events.outbox import outbox_table


class UsersTable(DeclarativeBase):
    """Base of every users table; its own metadata keeps it apart from other subgraphs."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


metadata = UsersTable.metadata


class UserRow(UsersTable):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    # Lower-cased copies carry the unique constraints, so "Ann" and "ann" cannot
    # both register, even when the two requests race.
    username_key: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RefreshTokenRow(UsersTable):
    """One opaque refresh token, stored only as its SHA-256."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Every token issued by rotating one sign-in shares the family of that sign-in.
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


outbox = outbox_table(metadata)
