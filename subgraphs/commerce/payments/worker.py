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


async def handle_payment(services: CommerceServices, delivery: Delivery) -> None:
    payment_id = delivery.event.payload.get("paymentId")
    if not isinstance(payment_id, str):
        log.error("event %s has no paymentId; dropped", delivery.event.id)
        await delivery.nack(requeue=False)
        return
    async with services.database.session() as session:
        payment = await session.get(PaymentRow, payment_id)
        order = None if payment is None else await session.get(OrderRow, payment.order_id)
    if payment is None or order is None or payment.status != PaymentStatus.PENDING.value:
        await delivery.ack()  # unknown, or charged and recorded before: nothing to do
        return
    awaited = (
        order.status == OrderStatus.PENDING_PAYMENT.value and order.current_payment_id == payment.id
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
    async with services.database.session() as session:
        payment = await session.get(PaymentRow, payment_id, with_for_update=True)
        if payment is None or payment.status != PaymentStatus.PENDING.value:
            return
        payment.status = (
            PaymentStatus.SUCCEEDED if outcome.succeeded else PaymentStatus.FAILED
        ).value
        payment.failure_reason = None if outcome.succeeded else outcome.failure_reason
        payment.updated_at = utc_now()
        await add_to_outbox(session, outbox, [payment_outcome(payment)])
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
