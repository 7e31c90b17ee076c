"""Writing a checkout's order: its hold is claimed, and the order, its lines, its payment
and their events are written, all of it or nothing.

On PostgreSQL this is ONE statement in autocommit, its parts data-modifying CTEs:
one round trip where a transaction took seven (BEGIN, five statements, COMMIT),
the largest CPU cost of a checkout in commerce. Each part reads the one before it
through RETURNING, so nothing is written unless the hold was claimed. One statement
is one transaction: a unique violation (another hold of the same key made the
order first) undoes all of it, the hold's deletion included, as the rollback of
the transaction did. SQLite has no data-modifying CTEs: there the same rows are
written in one transaction, statement by statement.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.commerce.domain import OrderLine, OrderStatus, PaymentStatus
from subgraphs.commerce.events import order_placed, status_changed
from subgraphs.commerce.holds import Hold, claim_hold
from subgraphs.commerce.models import OrderLineRow, OrderRow, PaymentRow, outbox
from subgraphs.commerce.payments.provider import PaymentMethod
from subgraphs.platform.columns import utc_now
from subgraphs.platform.database import Database
from subgraphs.platform.events import Event, add_to_outbox, outbox_rows
from subgraphs.platform.money import to_amount


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An order as checkout writes it; its rows are unattached (no ORM session)."""

    order: OrderRow
    lines: list[OrderLine]
    payment: PaymentRow
    events: list[Event]


def new_order(
    hold: Hold, lines: list[OrderLine], method: PaymentMethod, reservation_ttl_seconds: float
) -> NewOrder:
    """A PENDING_PAYMENT order of the reserved lines, with the hold's reservation key as
    its id, its PENDING payment, and its `order.placed` and status events."""
    now = utc_now()
    payment_id = str(uuid.uuid4())
    order = OrderRow(
        id=hold.reservation_key,
        user_id=hold.user_id,
        idempotency_key=hold.idempotency_key,
        status=OrderStatus.PENDING_PAYMENT.value,
        total_amount=to_amount(sum((line.line_total for line in lines), Decimal(0))),
        currency=lines[0].currency,
        reservation_key=hold.reservation_key,
        current_payment_id=payment_id,
        expires_at=now + timedelta(seconds=reservation_ttl_seconds),
        created_at=now,
        updated_at=now,
    )
    events = [
        order_placed(order, lines, payment_id),
        status_changed(order, None, OrderStatus.PENDING_PAYMENT, "checkout"),
    ]
    return NewOrder(order, lines, new_payment(payment_id, order, method, now), events)


def new_payment(
    payment_id: str, order: OrderRow, method: PaymentMethod, now: datetime
) -> PaymentRow:
    """A PENDING charge of the order's total with the tokenised card."""
    return PaymentRow(
        id=payment_id,
        order_id=order.id,
        status=PaymentStatus.PENDING.value,
        amount=order.total_amount,
        currency=order.currency,
        method_token=method.token,
        card_brand=method.summary.brand,
        card_last4=method.summary.last4,
        failure_reason=None,
        created_at=now,
        updated_at=now,
    )


async def write_order(database: Database, hold: Hold, new: NewOrder) -> bool:
    """True if this request claimed the hold and wrote the order; False if the hold was
    not there to claim (a racing request claimed it, or the sweeper released it).
    Raises IntegrityError when another hold of the key made the order first."""
    if database.is_sqlite:
        async with database.session() as session:
            if not await claim_hold(session, hold):
                return False
            await _insert(session, new)
        return True
    async with database.reading() as connection:
        placed = await connection.scalar(_PLACE, _parameters(hold, new))
    return bool(placed)


# The hold is claimed (deleted) first; every write reads the order id from the part
# before it, so a hold that is not there writes nothing and the answer is 0.
_PLACE = text("""
WITH claimed AS (
  DELETE FROM checkout_holds
  WHERE user_id = :user_id AND idempotency_key = :idempotency_key
    AND reservation_key = :reservation_key
  RETURNING reservation_key
), placed AS (
  INSERT INTO orders (id, user_id, idempotency_key, status, total_amount, currency,
                      reservation_key, current_payment_id, expires_at, created_at, updated_at)
  SELECT reservation_key, :user_id, :idempotency_key, :status, :total_amount, :currency,
         reservation_key, :payment_id, :expires_at, :created_at, :created_at
  FROM claimed
  RETURNING id
), order_lines AS (
  INSERT INTO order_lines (order_id, product_id, position, product_name, quantity,
                           unit_price, currency)
  SELECT placed.id, line.product_id, line.position, line.product_name, line.quantity,
         line.unit_price, :currency
  FROM placed,
       unnest(CAST(:product_ids AS text[]), CAST(:positions AS int[]),
              CAST(:product_names AS text[]), CAST(:quantities AS int[]),
              CAST(:unit_prices AS numeric[]))
         AS line(product_id, position, product_name, quantity, unit_price)
), payment AS (
  INSERT INTO payments (id, order_id, status, amount, currency, method_token, card_brand,
                        card_last4, created_at, updated_at)
  SELECT :payment_id, placed.id, :payment_status, :total_amount, :currency, :method_token,
         :card_brand, :card_last4, :created_at, :created_at
  FROM placed
), events AS (
  INSERT INTO outbox (id, type, version, occurred_at, subject_id, payload, created_at, attempts)
  SELECT event.*, 0
  FROM placed,
       unnest(CAST(:event_ids AS uuid[]), CAST(:event_types AS text[]),
              CAST(:event_versions AS int[]), CAST(:event_times AS timestamptz[]),
              CAST(:event_subjects AS text[]), CAST(:event_payloads AS text[]),
              CAST(:event_created AS timestamptz[]))
         AS event(id, type, version, occurred_at, subject_id, payload, created_at)
)
SELECT count(*) FROM placed
""")


def _parameters(hold: Hold, new: NewOrder) -> dict[str, Any]:
    order, payment = new.order, new.payment
    events = outbox_rows(new.events)
    return {
        "user_id": hold.user_id,
        "idempotency_key": hold.idempotency_key,
        "reservation_key": hold.reservation_key,
        "status": order.status,
        "total_amount": order.total_amount,
        "currency": order.currency,
        "payment_id": payment.id,
        "expires_at": order.expires_at,
        "created_at": order.created_at,
        "product_ids": [line.product_id for line in new.lines],
        "positions": list(range(len(new.lines))),
        "product_names": [line.product_name for line in new.lines],
        "quantities": [line.quantity for line in new.lines],
        "unit_prices": [line.unit_price for line in new.lines],
        "payment_status": payment.status,
        "method_token": payment.method_token,
        "card_brand": payment.card_brand,
        "card_last4": payment.card_last4,
        "event_ids": [event["id"] for event in events],
        "event_types": [event["type"] for event in events],
        "event_versions": [event["version"] for event in events],
        "event_times": [event["occurred_at"] for event in events],
        "event_subjects": [event["subject_id"] for event in events],
        "event_payloads": [event["payload"] for event in events],
        "event_created": [event["created_at"] for event in events],
    }


async def _insert(session: AsyncSession, new: NewOrder) -> None:
    """SQLite: Core inserts, one statement per table, in the caller's transaction."""
    order = new.order
    await session.execute(insert(_table(OrderRow)), _values(order))
    await session.execute(
        insert(_table(OrderLineRow)),
        [
            {
                "order_id": order.id,
                "product_id": line.product_id,
                "position": position,
                "product_name": line.product_name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "currency": line.currency,
            }
            for position, line in enumerate(new.lines)
        ],
    )
    await session.execute(insert(_table(PaymentRow)), _values(new.payment))
    await add_to_outbox(session, outbox, new.events)


def _table(entity: type[OrderRow | OrderLineRow | PaymentRow]) -> Table:
    """The entity's table: Core statements on it skip the ORM's bulk bookkeeping."""
    return cast(Table, entity.__table__)


def _values(row: OrderRow | PaymentRow) -> dict[str, object]:
    """The column values of an unattached row (its attributes are named as its columns)."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}
