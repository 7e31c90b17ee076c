"""The payments worker: charges each placed (or retried) order once, and says how it went.

It consumes `order.placed` and `order.payment_retried` from the bus (a durable
RabbitMQ queue in production: manual acknowledgement, bounded prefetch).
For each it charges the payment through the `PaymentProvider`, then records
the outcome on the payment and writes `payment.succeeded` or `payment.failed`
to the outbox in one transaction, and only then acknowledges.

Killed after the charge and before the record, the event comes back and the
provider, idempotent per payment id, returns the first outcome without
charging again. A transient provider failure is retried with growing delays;
after the last one the event waits in the dead letters
(`shopgraph worker payments --dead-letters`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
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


async def handle_payment(services: CommerceServices, delivery: Delivery) -> None:
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
    await record_outcome(services, payment.id, outcome)
    await delivery.ack()


async def record_outcome(
    services: CommerceServices, payment_id: str, outcome: ChargeOutcome
) -> None:
    """Records the outcome on a still PENDING payment, with its event, in one transaction."""
    status = PaymentStatus.SUCCEEDED if outcome.succeeded else PaymentStatus.FAILED
    async with services.database.session() as session:
        # The row lock serialises two copies of one event; the second finds the
        # payment no longer PENDING (re-checked on the row the first one wrote).
        moved = (
            await session.execute(
                update(_PAYMENTS)
                .where(
                    _PAYMENTS.c.id == payment_id,
                    _PAYMENTS.c.status == PaymentStatus.PENDING.value,
                )
                .values(
                    status=status.value,
                    failure_reason=None if outcome.succeeded else outcome.failure_reason,
                    updated_at=utc_now(),
                )
                .returning(*_PAYMENTS.c)
            )
        ).first()
        if moved is None:
            return
        # A transient row, only to build the event from.
        await add_to_outbox(session, outbox, [payment_outcome(PaymentRow(**moved._mapping))])
    services.relay.notify()


@asynccontextmanager
async def running_payments_worker(
    services: CommerceServices, concurrency: int | None = None
) -> AsyncIterator[None]:
    """`concurrency` (default `SHOPGRAPH_PAYMENTS_CONCURRENCY`) payments at once, each
    consumer with its own prefetch; copies of one event charge once (see above)."""

    async def handle(delivery: Delivery) -> None:
        await handle_payment(services, delivery)

    consumers = concurrency or services.commerce.payments_concurrency
    async with running_consumers(services.bus, GROUP, EVENT_TYPES, handle, concurrency=consumers):
        yield
