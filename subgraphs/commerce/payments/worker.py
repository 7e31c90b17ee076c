"""The payments worker: charges each placed (or retried) order once, and says how it went.

It consumes `order.placed` and `order.payment_retried` from the bus (a durable
RabbitMQ queue in production: manual acknowledgement, bounded prefetch).
For each it charges the payment through the `PaymentProvider`, then records
the outcome on the payment and writes `payment.succeeded` or `payment.failed`
to the outbox in one transaction, and only then acknowledges.

Killed after the charge and before the record, the event comes back and the
provider, idempotent per payment id, returns the first outcome without
charging again. The outcomes of payments charged at the same time are recorded
in one transaction (platform/events/batching.py); each delivery is still
acknowledged only after its own outcome committed. A transient provider
failure is retried with growing delays; after the last one the event waits in
the dead letters (`shopgraph worker payments --dead-letters`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import cast

from sqlalchemy import Table, bindparam, select, update

from subgraphs.commerce.domain import OrderStatus, PaymentStatus
from subgraphs.commerce.events import ORDER_PLACED, PAYMENT_RETRIED, payment_outcome
from subgraphs.commerce.models import OrderRow, PaymentRow, outbox
from subgraphs.commerce.payments.provider import ChargeOutcome, TransientPaymentError
from subgraphs.commerce.services import CommerceServices
from subgraphs.platform.columns import utc_now
from subgraphs.platform.events import Delivery, add_to_outbox
from subgraphs.platform.events.batching import Batcher
from subgraphs.platform.events.consuming import running_consumers

log = logging.getLogger(__name__)

GROUP = "commerce.payments"
EVENT_TYPES = (ORDER_PLACED, PAYMENT_RETRIED)
NOT_AWAITED = "order_no_longer_awaits_payment"


_PAYMENTS = cast(Table, PaymentRow.__table__)  # a declarative model's table is a Table

# What a payment needs to be charged, with its order's state: one statement, in
# autocommit (one round trip), as Core rows.
_TO_CHARGE = (
    select(
        PaymentRow.id,
        PaymentRow.status,
        PaymentRow.amount,
        PaymentRow.currency,
        PaymentRow.method_token,
        OrderRow.status.label("order_status"),
        OrderRow.current_payment_id,
    )
    .join(OrderRow, OrderRow.id == PaymentRow.order_id)
    .where(PaymentRow.id == bindparam("payment_id"))
)


Record = Callable[[tuple[str, ChargeOutcome]], Awaitable[None]]


async def handle_payment(
    services: CommerceServices, delivery: Delivery, record: Record | None = None
) -> None:
    """Charges the event's payment and records the outcome, through `record` when
    given (the worker's batches), else alone."""
    payment_id = delivery.event.payload.get("paymentId")
    if not isinstance(payment_id, str):
        log.error("event %s has no paymentId; dropped", delivery.event.id)
        await delivery.nack(requeue=False)
        return
    async with services.database.reading() as connection:
        payment = (await connection.execute(_TO_CHARGE, {"payment_id": payment_id})).first()
    if payment is None or payment.status != PaymentStatus.PENDING.value:
        await delivery.ack()  # unknown, or charged and recorded before: nothing to do
        return
    awaited = (
        payment.order_status == OrderStatus.PENDING_PAYMENT.value
        and payment.current_payment_id == payment.id
    )
    if not awaited:
        # Cancelled (or expired) before we got to it: do not take the money at all.
        outcome = ChargeOutcome(succeeded=False, failure_reason=NOT_AWAITED)
    else:
        try:
            outcome = await services.payments.charge(
                payment.id, payment.method_token, payment.amount, payment.currency
            )
        except TransientPaymentError as error:
            log.info("payment %s: %s; retrying later", payment.id, error)
            await delivery.retry()
            return
    if record is None:
        await record_outcomes(services, [(payment.id, outcome)])
    else:
        await record((payment.id, outcome))
    await delivery.ack()


async def record_outcomes(
    services: CommerceServices, outcomes: Sequence[tuple[str, ChargeOutcome]]
) -> None:
    """Records each outcome on its still PENDING payment, with its event, all in one
    transaction: one UPDATE per kind of outcome (in a busy worker nearly all succeed)."""
    # Copies of one event charged at once got the same outcome: the first one counts.
    first: dict[str, ChargeOutcome] = {}
    for payment_id, outcome in outcomes:
        first.setdefault(payment_id, outcome)
    by_kind: dict[tuple[str, str | None], list[str]] = {}
    for payment_id, outcome in first.items():
        kind = PaymentStatus.SUCCEEDED if outcome.succeeded else PaymentStatus.FAILED
        reason = None if outcome.succeeded else outcome.failure_reason
        by_kind.setdefault((kind.value, reason), []).append(payment_id)
    events = []
    async with services.database.session() as session:
        for (status, reason), payment_ids in by_kind.items():
            # The row locks serialise two copies of one event in two batches; the
            # second finds the payment no longer PENDING (re-checked on the row the
            # first one wrote) and records nothing.
            moved = await session.execute(
                update(_PAYMENTS)
                .where(
                    _PAYMENTS.c.id.in_(sorted(payment_ids)),
                    _PAYMENTS.c.status == PaymentStatus.PENDING.value,
                )
                .values(status=status, failure_reason=reason, updated_at=utc_now())
                .returning(*_PAYMENTS.c)
            )
            # Transient rows, only to build the events from.
            events += [payment_outcome(PaymentRow(**row._mapping)) for row in moved]
        await add_to_outbox(session, outbox, events)
    if events:
        services.relay.notify()


@asynccontextmanager
async def running_payments_worker(
    services: CommerceServices, concurrency: int | None = None
) -> AsyncIterator[None]:
    """`concurrency` (default `SHOPGRAPH_PAYMENTS_CONCURRENCY`) payments at once, each
    consumer with its own prefetch; copies of one event charge once (see above). The
    outcomes charged meanwhile are recorded together, in one transaction."""

    async def record(outcomes: Sequence[tuple[str, ChargeOutcome]]) -> None:
        await record_outcomes(services, outcomes)

    recorder = Batcher(record, name=f"{GROUP} outcomes")

    async def handle(delivery: Delivery) -> None:
        await handle_payment(services, delivery, recorder.handle)

    consumers = concurrency or services.commerce.payments_concurrency
    async with running_consumers(services.bus, GROUP, EVENT_TYPES, handle, concurrency=consumers):
        yield
