"""Where an order's way from checkout to PAID goes, read from commerce's own timestamps.

Each paid order leaves a trail in commerce's tables: the `order.placed` outbox
row (written in checkout's transaction, `sent_at` once the relay published it),
the payment's `updated_at` (the worker recorded the charge) and the order's
`updated_at` (it became PAID). The payments worker moves the order in the
transaction that records the charge, so for most orders the way has two
stages. An order it could not move (catalog unreachable) went on through the
`payment.succeeded` outbox row and the outcome consumer's inbox row (stamped as
it starts on the event): those orders, if any, have the three stages more,
counted apart. All stamps come from this one machine's clock, so they compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from load import percentile
from sqlalchemy import String, cast, select
from sqlalchemy.orm import aliased

from subgraphs.commerce.domain import OrderStatus
from subgraphs.commerce.events import ORDER_PLACED, PAYMENT_SUCCEEDED
from subgraphs.commerce.models import OrderRow, PaymentRow, inbox, outbox
from subgraphs.commerce.queues import OUTCOMES_GROUP
from subgraphs.platform.database import Database

# The stages of the stamps' order below: placed written, placed sent, charge recorded,
# outcome written, outcome sent, outcome picked up, order PAID. Each is (name, from, to).
MOVED_BY_PAYMENTS = (
    ("relay order.placed (written -> published)", 0, 1),
    ("payments worker (published -> charged and PAID)", 1, 6),
)
MOVED_BY_CONSUMER = (
    ("relay order.placed (written -> published)", 0, 1),
    ("payments worker (published -> charge recorded)", 1, 2),
    ("relay payment.succeeded (written -> published)", 3, 4),
    ("outcome consumer: queued (published -> picked up)", 4, 5),
    ("outcome consumer: handling (picked up -> order PAID)", 5, 6),
)


@dataclass(frozen=True)
class Stage:
    name: str
    seconds: list[float]

    def ms(self, p: float) -> float:
        return 1000 * percentile(self.seconds, p)


async def paid_stages(commerce: Database, order_ids: list[str]) -> list[Stage]:
    """The stages of the orders the payments worker moved, then those of the orders the
    outcome consumer moved (named so), when there are any."""
    placed = aliased(outbox)
    outcome = aliased(outbox)
    query = (
        select(
            placed.c.created_at,
            placed.c.sent_at,
            PaymentRow.updated_at,
            outcome.c.created_at,
            outcome.c.sent_at,
            inbox.c.handled_at,
            OrderRow.updated_at,
        )
        .join(PaymentRow, PaymentRow.id == OrderRow.current_payment_id)
        .join(placed, (placed.c.subject_id == OrderRow.id) & (placed.c.type == ORDER_PLACED))
        .join(
            outcome, (outcome.c.subject_id == PaymentRow.id) & (outcome.c.type == PAYMENT_SUCCEEDED)
        )
        .outerjoin(
            inbox,
            (inbox.c.consumer == OUTCOMES_GROUP) & (inbox.c.event_id == cast(outcome.c.id, String)),
        )
        .where(OrderRow.status == OrderStatus.PAID.value, OrderRow.id.in_(order_ids))
    )
    by_payments: list[list[datetime]] = []
    by_consumer: list[list[datetime]] = []
    async with commerce.session() as session:
        for stamps in await session.execute(query):
            moments = list(stamps)
            if moments[5] is None:  # no inbox row: the payments worker moved the order
                by_payments.append(moments)
            else:
                by_consumer.append(moments)
    stages = _stages(MOVED_BY_PAYMENTS, by_payments, "")
    if by_consumer:
        stages += _stages(MOVED_BY_CONSUMER, by_consumer, f"{len(by_consumer)} moved apart: ")
    return stages


def _stages(
    names: tuple[tuple[str, int, int], ...], orders: list[list[datetime]], prefix: str
) -> list[Stage]:
    return [
        Stage(
            prefix + name,
            [
                (moments[end] - moments[start]).total_seconds()
                for moments in orders
                if moments[start] is not None and moments[end] is not None
            ],
        )
        for name, start, end in names
    ]
