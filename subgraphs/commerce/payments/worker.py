"""The payments worker: charges each placed (or retried) order once, and says how it went.

It consumes `order.placed` and `order.payment_retried` from the bus (a durable
RabbitMQ queue in production: manual acknowledgement, bounded prefetch).
For each it charges the payment through the `PaymentProvider`, then records
the outcome on the payment and writes `payment.succeeded` or `payment.failed`
to the outbox atomically (one statement on PostgreSQL, one transaction on
SQLite), and only then acknowledges.

Killed after the charge and before the record, the event comes back and the
provider, idempotent per payment id, returns the first outcome without
charging again. The deliveries held at the same time are handled together
(platform/events/batching.py): one read of their payments, the charges at once,
one statement for the outcomes and their events; each delivery is still
acknowledged only after its outcome committed. A transient provider
failure is retried with growing delays; after the last one the event waits in
the dead letters (`shopgraph worker payments --dead-letters`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.dml import ReturningInsert

from subgraphs.commerce.domain import OrderStatus, PaymentStatus
from subgraphs.commerce.events import payment_outcome
from subgraphs.commerce.models import OrderRow, PaymentRow, outbox
from subgraphs.commerce.payments.provider import ChargeOutcome, TransientPaymentError
from subgraphs.commerce.queues import PAYMENT_TYPES, PAYMENTS_GROUP
from subgraphs.commerce.services import CommerceServices
from subgraphs.platform.columns import utc_now
from subgraphs.platform.events import (
    Delivery,
    Event,
    add_to_outbox,
    event_arrays,
    insert_events_of_subjects,
)
from subgraphs.platform.events.batching import Batcher
from subgraphs.platform.events.consuming import running_consumers

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
# parameters. On SQLite, one statement per kind of outcome, in a transaction.
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
    """Records each outcome on its payment (a row of `_TO_CHARGE`) if still PENDING,
    with its event, at once: in one statement on PostgreSQL (autocommit: one statement
    is atomic alone), in one transaction of an UPDATE per kind of outcome on SQLite.

    The row locks serialise two copies of one event in two batches; the second finds
    the payment no longer PENDING (re-checked on the row the first one wrote) and
    records nothing, and writes no event."""
    # Copies of one event charged at once got the same outcome: the first one counts.
    first: dict[str, tuple[Any, ChargeOutcome]] = {}
    for payment, outcome in outcomes:
        first.setdefault(payment.id, (payment, outcome))
    if not first:
        return
    events = [_outcome_event(payment, outcome) for payment, outcome in first.values()]
    announce = services.relay.announces
    if services.database.is_sqlite:
        written = await _record_in_transaction(services, first, events)
    else:
        async with services.database.reading() as connection:
            result = await connection.execute(
                _RECORD_WITH_EVENTS[announce],
                {
                    "payment_ids": list(first),
                    "statuses": [_status(outcome) for _, outcome in first.values()],
                    "reasons": [outcome.failure_reason for _, outcome in first.values()],
                    "now": utc_now(),
                    **event_arrays(events),
                },
            )
            written = len(result.all())
    if written and not announce:
        services.relay.notify()


async def _record_in_transaction(
    services: CommerceServices,
    first: dict[str, tuple[Any, ChargeOutcome]],
    events: list[Event],
) -> int:
    """`record_outcomes` where data-modifying CTEs are missing (SQLite)."""
    by_kind: dict[tuple[str, str | None], list[str]] = {}
    for payment_id, (_, outcome) in first.items():
        by_kind.setdefault((_status(outcome), outcome.failure_reason), []).append(payment_id)
    moved: set[str] = set()
    async with services.database.session() as session:
        for (status, reason), payment_ids in by_kind.items():
            parameters = {
                "payment_ids": sorted(payment_ids),
                "new_status": status,
                "reason": reason,
                "now": utc_now(),
            }
            moved.update(await session.scalars(_RECORD, parameters))
        kept = [event for event in events if event.subject_id in moved]
        await add_to_outbox(session, outbox, kept)
    return len(kept)


def _status(outcome: ChargeOutcome) -> str:
    status = PaymentStatus.SUCCEEDED if outcome.succeeded else PaymentStatus.FAILED
    return str(status.value)


def _outcome_event(payment: Any, outcome: ChargeOutcome) -> Event:
    """The event of `outcome` recorded on `payment`, a row of `_TO_CHARGE`."""
    recorded = PaymentRow(  # transient, only to build the event from
        id=payment.id,
        order_id=payment.order_id,
        amount=payment.amount,
        currency=payment.currency,
        failure_reason=None if outcome.succeeded else outcome.failure_reason,
    )
    return payment_outcome(recorded)


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
