"""Where an order's way from checkout to PAID goes, read from commerce's own timestamps.

Each paid order leaves a trail in commerce's tables: the `order.placed` outbox
row (written in checkout's transaction, `sent_at` once the relay published it),
the payment's `updated_at` (the worker recorded the charge), the
`payment.succeeded` outbox row, the outcome consumer's inbox row (stamped as it
starts on the event) and the order's `updated_at` (it moved the order to PAID).
The gaps between them are the stages below. All stamps come from this one
machine's clock, so they compare.
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

STAGES = (
    "relay order.placed (written -> published)",
    "payments worker (published -> charge recorded)",
    "relay payment.succeeded (written -> published)",
    "outcome consumer: queued (published -> picked up)",
    "outcome consumer: handling (picked up -> order PAID)",
)


@dataclass(frozen=True)
class Stage:
    name: str
    seconds: list[float]

    def ms(self, p: float) -> float:
        return 1000 * percentile(self.seconds, p)


async def paid_stages(commerce: Database, order_ids: list[str]) -> list[Stage]:
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
        .join(
            inbox,
            (inbox.c.consumer == OUTCOMES_GROUP) & (inbox.c.event_id == cast(outcome.c.id, String)),
        )
        .where(OrderRow.status == OrderStatus.PAID.value, OrderRow.id.in_(order_ids))
    )
    gaps: list[list[float]] = [[] for _ in STAGES]
    async with commerce.session() as session:
        for stamps in await session.execute(query):
            if any(stamp is None for stamp in stamps):
                continue
            moments: list[datetime] = list(stamps)
            pairs = ((0, 1), (1, 2), (3, 4), (4, 5), (5, 6))
            for gap, (start, end) in zip(gaps, pairs, strict=True):
                gap.append((moments[end] - moments[start]).total_seconds())
    return [Stage(name, seconds) for name, seconds in zip(STAGES, gaps, strict=True)]
