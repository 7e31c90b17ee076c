"""reservation_keys: one row per reservation key, its status; settled keys stay settled

A release that comes before its reservation (the checkout's reserve reached
catalog late) leaves a RELEASED key without lines, so the reservation that
arrives afterwards takes nothing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reservation_keys",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_reservation_keys")),
    )
    # Every line of a reservation has moved together, so any line's status is the key's.
    op.execute(
        "INSERT INTO reservation_keys (order_id, status, created_at, updated_at) "
        "SELECT order_id, min(status), min(created_at), max(updated_at) "
        "FROM reservations GROUP BY order_id"
    )


def downgrade() -> None:
    op.drop_table("reservation_keys")
