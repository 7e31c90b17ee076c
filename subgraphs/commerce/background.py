"""What the commerce subgraph runs beside its API: payment outcomes, carts, order expiry.

- The outcome consumer moves an order on `payment.succeeded` (PAID, stock
  committed) or `payment.failed` (PAYMENT_FAILED, stock released). It records
  each event in the inbox in the transaction of the move, so a redelivered
  outcome changes nothing. A success for an order that is no longer waiting
  (cancelled or expired meanwhile) is refunded.
- The cart consumer removes what an order bought from its customer's cart on
  `order.placed`. Checkout does it too, right after its commit; this is the
  one a crash cannot skip, since the event is in the outbox with the order.
  The removal spares lines added after the order, so doing it twice (the
  checkout and the event, or a redelivery) is harmless; the inbox skips
  repeats.
- The sweeper cancels orders whose reservation expired, releasing their stock,
  and releases the holds of checkouts abandoned halfway (holds.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from sqlalchemy import select

from subgraphs.commerce.domain import OrderStatus, PaymentStatus
from subgraphs.commerce.events import (
    ORDER_PLACED,
    PAYMENT_FAILED,
    PAYMENT_SUCCEEDED,
    status_changed,
)
from subgraphs.commerce.holds import release_abandoned_holds
from subgraphs.commerce.lifecycle import lock_order, move_order
from subgraphs.commerce.models import OrderRow, PaymentRow, inbox, outbox
from subgraphs.platform.columns import utc_now
from subgraphs.platform.errors import DomainError
from subgraphs.platform.events import Delivery, Event, add_to_outbox, record_handled
from subgraphs.platform.events.consuming import running_consumers
from subgraphs.platform.transient import log_failure

if TYPE_CHECKING:
    from subgraphs.commerce.services import CommerceServices

log = logging.getLogger(__name__)

OUTCOMES_GROUP = "commerce.orders"
CARTS_GROUP = "commerce.carts"
SWEEP_BATCH = 100
PAID_OR_LATER = frozenset(
    {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.REFUNDED}
)


async def apply_payment_outcome(services: CommerceServices, event: Event) -> None:
    order_id = event.payload.get("orderId")
    if not isinstance(order_id, str):
        raise ValueError(f"event {event.id} has no orderId")
    succeeded = event.type == PAYMENT_SUCCEEDED
    moved: OrderStatus | None = None
    async with services.database.session() as session:
        if not await record_handled(session, inbox, OUTCOMES_GROUP, event.id):
            return
        row = await lock_order(session, order_id)
        payment = await session.get(PaymentRow, event.subject_id)
        if row is None or payment is None:
            log.warning("payment outcome %s names an unknown order or payment", event.id)
            return
        before = OrderStatus(row.status)
        awaited = before is OrderStatus.PENDING_PAYMENT and row.current_payment_id == payment.id
        if succeeded and not awaited:
            if row.current_payment_id == payment.id and before in PAID_OR_LATER:
                return  # this payment already paid the order: nothing to give back
            await services.payments.refund(payment.id)
            payment.status = PaymentStatus.REFUNDED.value
            payment.updated_at = utc_now()
            log.info("payment %s came after order %s was %s: refunded", payment.id, row.id, before)
            return
        if not awaited:
            return
        if succeeded:
            await services.catalog.commit(row.reservation_key)
            moved = OrderStatus.PAID
        else:
            await services.catalog.release(row.reservation_key)
            moved = OrderStatus.PAYMENT_FAILED
        row.status = moved.value
        row.updated_at = utc_now()
        reason = "paid" if succeeded else f"payment failed: {payment.failure_reason}"
        await add_to_outbox(session, outbox, [status_changed(row, before, moved, reason)])
    await services.order_changed(order_id, moved.value)


async def expire_orders(services: CommerceServices) -> int:
    """Cancels unpaid orders past their reservation's expiry; returns how many."""
    now = utc_now()
    async with services.database.session() as session:
        due = list(
            await session.scalars(
                select(OrderRow.id)
                .where(
                    OrderRow.status.in_(
                        [OrderStatus.PENDING_PAYMENT.value, OrderStatus.PAYMENT_FAILED.value]
                    ),
                    OrderRow.expires_at < now,
                )
                .limit(SWEEP_BATCH)
            )
        )
    cancelled = 0
    for order_id in due:
        try:
            await move_order(
                services, order_id, OrderStatus.CANCELLED, "reservation expired", actor=None
            )
        except DomainError:
            continue  # paid or cancelled since we looked
        cancelled += 1
    return cancelled


async def remove_bought_lines(services: CommerceServices, event: Event) -> None:
    """`order.placed`: the order's products leave its customer's cart, once."""
    user_id = event.payload.get("userId")
    lines = event.payload.get("lines")
    if not isinstance(user_id, str) or not isinstance(lines, list):
        raise ValueError(f"event {event.id} has no userId or lines")
    async with services.database.reading() as connection:
        handled = await connection.scalar(
            select(inbox.c.event_id).where(
                inbox.c.consumer == CARTS_GROUP, inbox.c.event_id == str(event.id)
            )
        )
    if handled is not None:
        return
    # Not in the inbox transaction: the embedded cart store shares the database, and
    # SQLite would make it wait for that transaction. Removing twice is harmless.
    bought = [str(line["productId"]) for line in lines if isinstance(line, dict)]
    await services.carts.remove_bought(user_id, bought, event.occurred_at)
    async with services.database.session() as session:
        await record_handled(session, inbox, CARTS_GROUP, event.id)


async def sweep(services: CommerceServices, stop: asyncio.Event, interval: float) -> None:
    while not stop.is_set():
        try:
            await expire_orders(services)
            await release_abandoned_holds(services)
        except Exception as error:  # noqa: BLE001 - logged (traceback unless transient); the sweep goes on
            log_failure(log, error, "order sweep failed; trying again later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


def sweep_interval(services: CommerceServices) -> float:
    ttl = services.commerce.reservation_ttl_seconds
    hold = services.commerce.checkout_hold_seconds
    return max(0.2, min(ttl / 4, hold / 4, 30.0))


@asynccontextmanager
async def running_order_jobs(
    services: CommerceServices, *, enabled: bool = True
) -> AsyncIterator[None]:
    """The order jobs, for as long as the block runs. Not `enabled`
    (`SHOPGRAPH_ORDER_JOBS=worker`), the block runs without them: `shopgraph worker
    orders` runs them in processes of their own. Any number of those may run: the
    consumers share their queues, the inbox skips what another already handled, and the
    sweeper locks what it moves."""
    if not enabled:
        yield
        return

    async def handle(delivery: Delivery) -> None:
        await apply_payment_outcome(services, delivery.event)
        await delivery.ack()

    async def clear(delivery: Delivery) -> None:
        await remove_bought_lines(services, delivery.event)
        await delivery.ack()

    stop = asyncio.Event()
    async with (
        running_consumers(
            services.bus,
            OUTCOMES_GROUP,
            (PAYMENT_SUCCEEDED, PAYMENT_FAILED),
            handle,
            # Outcomes of different orders are independent, and the row lock orders those
            # of one order, so several run at once: each waits mostly on catalog.
            concurrency=services.commerce.order_outcome_concurrency,
        ),
        running_consumers(services.bus, CARTS_GROUP, (ORDER_PLACED,), clear),
    ):
        sweeper = asyncio.create_task(sweep(services, stop, sweep_interval(services)))
        try:
            yield
        finally:
            stop.set()
            await sweeper
