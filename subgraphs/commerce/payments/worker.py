"""The payments worker: charges each placed (or retried) order once, and says how it went.

It consumes `order.placed` and `order.payment_retried` from the bus (a durable
RabbitMQ queue in production: manual acknowledgement, bounded prefetch).
For each it charges the payment through the `PaymentProvider`, then, in one
transaction, records the outcome on the payment, writes `payment.succeeded` or
`payment.failed` to the outbox and moves the order as the outcome consumer
would (background.py: PAID, or PAYMENT_FAILED, its stock settled in catalog),
and only then acknowledges. So an order is PAID without the outcome's own
relay pass, RabbitMQ hop and consumer transaction. When the move cannot be
made (catalog unreachable), the outcome is recorded alone and its event
leaves the move to the outcome consumer, as it did before.

Killed after the charge and before the record, the event comes back and the
provider, idempotent per payment id, returns the first outcome without
charging again. The deliveries held at the same time are handled together
(platform/events/batching.py): one read of their payments, the charges at once,
one transaction for the outcomes, their events and their orders; each delivery
is still acknowledged only after its outcome committed. A transient provider
failure is retried with growing delays; after the last one the event waits in
the dead letters (`shopgraph worker payments --dead-letters`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import ReturningInsert

from subgraphs.commerce.background import OrderMove, announce_moves, move_orders_on_outcomes
from subgraphs.commerce.domain import OrderStatus, PaymentStatus
from subgraphs.commerce.events import payment_outcome
from subgraphs.commerce.models import OrderRow, PaymentRow, outbox
from subgraphs.commerce.outcome_orders import lock_orders
from subgraphs.commerce.payments.provider import ChargeOutcome, TransientPaymentError
from subgraphs.commerce.queues import PAYMENT_TYPES, PAYMENTS_GROUP
from subgraphs.commerce.services import CommerceServices
from subgraphs.platform.columns import utc_now
from subgraphs.platform.events import (
    Delivery,
    Event,
    event_arrays,
    insert_events_of_subjects,
)
from subgraphs.platform.events.batching import Batcher
from subgraphs.platform.events.consuming import running_consumers
from subgraphs.platform.events.outbox import outbox_rows
from subgraphs.platform.transient import log_failure

log = logging.getLogger(__name__)

NOT_AWAITED = "order_no_longer_awaits_payment"


_PAYMENTS = cast(Table, PaymentRow.__table__)  # a declarative model's table is a Table

# What the payments need to be charged, with their orders' state: one statement, in
# autocommit (one round trip), as Core rows.
_TO_CHARGE = (
    select(
        PaymentRow.id,
        PaymentRow.order_id,
        PaymentRow.status,
        PaymentRow.amount,
        PaymentRow.currency,
        PaymentRow.method_token,
        OrderRow.status.label("order_status"),
        OrderRow.current_payment_id,
    )
    .join(OrderRow, OrderRow.id == PaymentRow.order_id)
    .where(PaymentRow.id.in_(bindparam("payment_ids", expanding=True)))
)


# An outcome recorded on the payments still PENDING, built once: its values are
# parameters. On SQLite, one statement per kind of outcome.
_RECORD = (
    update(_PAYMENTS)
    .where(
        _PAYMENTS.c.id.in_(bindparam("payment_ids", expanding=True)),
        _PAYMENTS.c.status == PaymentStatus.PENDING.value,
    )
    .values(
        status=bindparam("new_status", type_=_PAYMENTS.c.status.type),
        failure_reason=bindparam("reason", type_=_PAYMENTS.c.failure_reason.type),
        updated_at=bindparam("now", type_=_PAYMENTS.c.updated_at.type),
    )
    .returning(_PAYMENTS.c.id)
)


def _record_with_events(*, announce: bool) -> ReturningInsert[Any]:
    """On PostgreSQL, every outcome of a batch and their events in one statement, built
    once: the outcomes come as arrays (payment ids, statuses, failure reasons), and only
    the payments still PENDING move and get their event (insert_events_of_subjects)."""
    given = (
        func.unnest(
            bindparam("payment_ids", type_=ARRAY(_PAYMENTS.c.id.type)),
            bindparam("statuses", type_=ARRAY(_PAYMENTS.c.status.type)),
            bindparam("reasons", type_=ARRAY(_PAYMENTS.c.failure_reason.type)),
        )
        .table_valued("id", "status", "reason")
        .render_derived(name="outcome")
    )
    moved = (
        update(_PAYMENTS)
        .where(
            _PAYMENTS.c.id == given.c.id,
            _PAYMENTS.c.status == PaymentStatus.PENDING.value,
        )
        .values(
            status=given.c.status,
            failure_reason=given.c.reason,
            updated_at=bindparam("now", type_=_PAYMENTS.c.updated_at.type),
        )
        .returning(_PAYMENTS.c.id)
        .cte("moved")
    )
    return insert_events_of_subjects(outbox, select(moved.c.id), announce=announce).add_cte(moved)


_RECORD_WITH_EVENTS = {
    announce: _record_with_events(announce=announce) for announce in (False, True)
}


class _Retry:
    """A charge the provider could not decide yet: its delivery is retried later."""


_RETRY = _Retry()


async def handle_payments(services: CommerceServices, deliveries: Sequence[Delivery]) -> None:
    """Charges the payments of deliveries that arrived together (each once, through the
    provider's per-payment idempotency), records the outcomes in one transaction, and
    only then settles each delivery: a batch that fails settled none of them."""
    wanted: list[tuple[Delivery, str]] = []
    malformed: list[Delivery] = []
    for delivery in deliveries:
        payment_id = delivery.event.payload.get("paymentId")
        if isinstance(payment_id, str):
            wanted.append((delivery, payment_id))
        else:
            malformed.append(delivery)
    found = await _to_charge(services, [payment_id for _, payment_id in wanted])
    charged = await asyncio.gather(
        *(_charge(services, found.get(payment_id)) for _, payment_id in wanted),
        # Every charge runs to its end; the first error then fails the batch.
        return_exceptions=True,
    )
    for outcome in charged:
        if isinstance(outcome, BaseException):
            raise outcome
    await record_outcomes(
        services,
        [
            (found[payment_id], outcome)
            for (_, payment_id), outcome in zip(wanted, charged, strict=True)
            if isinstance(outcome, ChargeOutcome)
        ],
    )
    for delivery in malformed:
        log.error("event %s has no paymentId; dropped", delivery.event.id)
        await delivery.nack(requeue=False)
    for (delivery, _), outcome in zip(wanted, charged, strict=True):
        if outcome is _RETRY:
            await delivery.retry()
        else:
            await delivery.ack()


async def _to_charge(services: CommerceServices, payment_ids: list[str]) -> dict[str, Any]:
    """The rows of `_TO_CHARGE` by payment id."""
    if not payment_ids:
        return {}
    async with services.database.reading() as connection:
        rows = await connection.execute(_TO_CHARGE, {"payment_ids": payment_ids})
        return {row.id: row for row in rows}


async def _charge(services: CommerceServices, payment: Any) -> ChargeOutcome | _Retry | None:
    """The outcome to record; None when there is nothing to do (an unknown payment, or
    one charged and recorded before), `_RETRY` when the provider could not decide."""
    if payment is None or payment.status != PaymentStatus.PENDING.value:
        return None
    awaited = (
        payment.order_status == OrderStatus.PENDING_PAYMENT.value
        and payment.current_payment_id == payment.id
    )
    if not awaited:
        # Cancelled (or expired) before we got to it: do not take the money at all.
        return ChargeOutcome(succeeded=False, failure_reason=NOT_AWAITED)
    try:
        return await services.payments.charge(
            payment.id, payment.method_token, payment.amount, payment.currency
        )
    except TransientPaymentError as error:
        log.info("payment %s: %s; retrying later", payment.id, error)
        return _RETRY


async def record_outcomes(
    services: CommerceServices, outcomes: Sequence[tuple[Any, ChargeOutcome]]
) -> None:
    """Records each outcome on its payment (a row of `_TO_CHARGE`) if still PENDING, with
    its event, and moves its order as the outcome consumer would (PAID, or
    PAYMENT_FAILED; stock settled in catalog), in one transaction: the order is PAID
    without another relay pass, RabbitMQ hop and consumer transaction.

    If that fails (catalog unreachable, say), the outcomes are recorded alone, with
    events that leave the move to the outcome consumer: a charge taken is recorded
    even while its order cannot move. The payments' row locks serialise two copies of
    one event in two batches; the second finds the payment no longer PENDING
    (re-checked on the row the first one wrote) and records, moves and writes nothing."""
    # Copies of one event charged at once got the same outcome: the first one counts.
    first: dict[str, tuple[Any, ChargeOutcome]] = {}
    for payment, outcome in outcomes:
        first.setdefault(payment.id, (payment, outcome))
    if not first:
        return
    try:
        moves = await _record(services, first, move_orders=True)
    except Exception as error:  # noqa: BLE001 - logged; the outcome consumer moves the orders
        log_failure(log, error, "payment outcomes recorded without moving their orders")
        await _record(services, first, move_orders=False)
        return
    await announce_moves(services, moves)


async def _record(
    services: CommerceServices,
    first: dict[str, tuple[Any, ChargeOutcome]],
    *,
    move_orders: bool,
) -> list[OrderMove]:
    """`record_outcomes` in one transaction; with `move_orders`, the orders locked first
    (in id order, before the payments, as the outcome consumer and the order mutations
    lock them), then the outcomes recorded with events that say so, then the orders
    moved. Returns the moves."""
    events = {
        payment_id: _outcome_event(payment, outcome, order_moved=move_orders)
        for payment_id, (payment, outcome) in first.items()
    }
    announce = services.relay.announces
    moves: list[OrderMove] = []
    async with services.database.engine.begin() as connection:
        order_ids = [payment.order_id for payment, _ in first.values()]
        orders = await lock_orders(connection, order_ids) if move_orders else {}
        recorded = await _record_payments(connection, first, events, announce=announce)
        if move_orders:
            new = [(events[payment_id], first[payment_id][0].order_id) for payment_id in recorded]
            moves = await move_orders_on_outcomes(services, connection, new, orders)
    if recorded and not announce:
        services.relay.notify()
    return moves


async def _record_payments(
    connection: AsyncConnection,
    first: dict[str, tuple[Any, ChargeOutcome]],
    events: dict[str, Event],
    *,
    announce: bool,
) -> list[str]:
    """In `connection`'s transaction: records each outcome of `first` on its payment if
    still PENDING, with its event of `events` (both by payment id), and returns the ids
    of the payments it moved, sorted. On PostgreSQL one statement, on SQLite an UPDATE
    per kind of outcome and the INSERT of the events (no data-modifying CTEs there)."""
    payment_ids = sorted(first)  # rows locked in one order: two batches never deadlock
    if connection.dialect.name == "sqlite":
        by_kind: dict[tuple[str, str | None], list[str]] = {}
        for payment_id in payment_ids:
            outcome = first[payment_id][1]
            by_kind.setdefault((_status(outcome), outcome.failure_reason), []).append(payment_id)
        moved: set[str] = set()
        for (status, reason), ids in by_kind.items():
            parameters = {"payment_ids": ids, "new_status": status, "reason": reason}
            moved.update(await connection.scalars(_RECORD, {**parameters, "now": utc_now()}))
        kept = sorted(moved)
        if kept:
            await connection.execute(insert(outbox), outbox_rows([events[id_] for id_ in kept]))
        return kept
    outcomes = [first[payment_id][1] for payment_id in payment_ids]
    result = await connection.execute(
        _RECORD_WITH_EVENTS[announce],
        {
            "payment_ids": payment_ids,
            "statuses": [_status(outcome) for outcome in outcomes],
            "reasons": [outcome.failure_reason for outcome in outcomes],
            "now": utc_now(),
            **event_arrays([events[payment_id] for payment_id in payment_ids]),
        },
    )
    return sorted(row.subject_id for row in result)  # an event per payment moved


def _status(outcome: ChargeOutcome) -> str:
    status = PaymentStatus.SUCCEEDED if outcome.succeeded else PaymentStatus.FAILED
    return str(status.value)


def _outcome_event(payment: Any, outcome: ChargeOutcome, *, order_moved: bool = False) -> Event:
    """The event of `outcome` recorded on `payment`, a row of `_TO_CHARGE`."""
    recorded = PaymentRow(  # transient, only to build the event from
        id=payment.id,
        order_id=payment.order_id,
        amount=payment.amount,
        currency=payment.currency,
        failure_reason=None if outcome.succeeded else outcome.failure_reason,
    )
    return payment_outcome(recorded, order_moved=order_moved)


@asynccontextmanager
async def running_payments_worker(
    services: CommerceServices, concurrency: int | None = None
) -> AsyncIterator[None]:
    """`concurrency` (default `SHOPGRAPH_PAYMENTS_CONCURRENCY`) payments at once, each
    consumer with its own prefetch; copies of one event charge once (see above). The
    deliveries held at the same time are handled as one batch."""

    async def handle_batch(deliveries: Sequence[Delivery]) -> None:
        # Looked up on each call, so that a test can count what reaches it.
        await handle_payments(services, deliveries)

    batches = Batcher(handle_batch, name=PAYMENTS_GROUP)

    async def handle(delivery: Delivery) -> None:
        await batches.handle(delivery)

    consumers = concurrency or services.commerce.payments_concurrency
    async with running_consumers(
        services.bus, PAYMENTS_GROUP, PAYMENT_TYPES, handle, concurrency=consumers
    ):
        yield
