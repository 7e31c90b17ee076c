"""checkout holds replace RESERVING orders

Checkout now reserves stock before it writes the order, so the orders table
holds only orders. A RESERVING row left by the old checkout becomes a hold that
expires at once: the sweeper releases its stock.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 19:00:00.000000
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
        "checkout_holds",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("reservation_key", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "idempotency_key", name=op.f("pk_checkout_holds")),
        sa.UniqueConstraint("reservation_key", name=op.f("uq_checkout_holds_reservation_key")),
    )
    with op.batch_alter_table("checkout_holds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkout_holds_expires_at"), ["expires_at"], unique=False
        )
    op.execute(
        "INSERT INTO checkout_holds "
        "(user_id, idempotency_key, reservation_key, expires_at, created_at) "
        "SELECT user_id, idempotency_key, reservation_key, created_at, created_at "
        "FROM orders WHERE status = 'RESERVING'"
    )
    op.execute("DELETE FROM orders WHERE status = 'RESERVING'")


def downgrade() -> None:
    # Holds are not orders: dropping them leaves their stock for the catalog's
    # operators; run the sweeper (upgrade) before downgrading to release it.
    with op.batch_alter_table("checkout_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkout_holds_expires_at"))
    op.drop_table("checkout_holds")
