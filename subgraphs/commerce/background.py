"""What the commerce subgraph runs beside its API: payment outcomes, carts, order expiry.

- The outcome consumer moves an order on `payment.succeeded` (PAID, stock
  committed) or `payment.failed` (PAYMENT_FAILED, stock released). It records
  each event in the inbox in the transaction of the move, so a redelivered
  outcome changes nothing. A success for an order that is no longer waiting
  (cancelled or expired meanwhile) is refunded. Outcomes that arrive together
  are applied together (platform/events/batching.py): one transaction, two
  statements (outcome_orders.py) and one catalog call settle them all, where one
  outcome at a time cost about seven round trips and an HTTP call each.
  The payments worker makes the same moves (`move_orders_on_outcomes`) in the
  transaction that records the outcomes, and says so in their events: the
  consumer skips those, and moves the orders of the outcomes the worker could
  not move (catalog unreachable, or outcomes from before it did this).
- The cart consumer removes what an order bought from its customer's cart on
  `order.placed`. Checkout does it too, right after its commit; this is the
  one a crash cannot skip, since the event is in the outbox with the order.
  The removal spares lines added after the order, so doing it twice (the
  checkout and the event, or a redelivery) is harmless. That is why it keeps
  no inbox: skipping a repeat would save only a Redis call that changes
  nothing, and cost two PostgreSQL statements on every batch (the read of
  the inbox and its record). It batches as the outcome consumer does.
- The sweeper cancels orders whose reservation expired, releasing their stock,
  and releases the holds of checkouts abandoned halfway (holds.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.commerce.domain import OrderStatus, PaymentStatus
from subgraphs.commerce.events import PAYMENT_SUCCEEDED, order_moved, status_changed
from subgraphs.commerce.holds import release_abandoned_holds
from subgraphs.commerce.lifecycle import move_order
from subgraphs.commerce.models import OrderRow, PaymentRow
from subgraphs.commerce.outcome_orders import LockedOrder, lock_outcome_orders, move_outcome_orders
from subgraphs.commerce.queues import CART_TYPES, CARTS_GROUP, OUTCOME_TYPES, OUTCOMES_GROUP
from subgraphs.platform import faults
from subgraphs.platform.columns import utc_now
from subgraphs.platform.errors import DomainError
from subgraphs.platform.events import Delivery, Event
from subgraphs.platform.events.batching import Batcher
from subgraphs.platform.events.consuming import running_consumers
from subgraphs.platform.transient import log_failure

if TYPE_CHECKING:
    from subgraphs.commerce.services import CommerceServices

log = logging.getLogger(__name__)

SWEEP_BATCH = 100
PAID_OR_LATER = frozenset(
    {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.REFUNDED}
)


async def apply_payment_outcome(services: CommerceServices, event: Event) -> None:
    """One outcome: a batch of one."""
    await apply_payment_outcomes(services, [event])


@dataclass(frozen=True, slots=True)
class OrderMove:
    """What an outcome does to its order, decided under the order's row lock."""

    row: LockedOrder  # the order as locked, before the move
    before: OrderStatus
    after: OrderStatus
    reason: str


async def apply_payment_outcomes(services: CommerceServices, events: Sequence[Event]) -> None:
    """Applies outcomes that arrived together, each once, in one transaction.

    Their orders are locked in id order (two batches never deadlock), each outcome
    is decided in the order given (two outcomes of one order see each other's move),
    and catalog commits and releases the stock of every moved order in one call.
    If anything fails, nothing is recorded: the inbox rows roll back with the moves.
    An outcome whose order the payments worker already moved (`order_moved`) needs
    nothing: that move committed with the event itself.
    """
    todo = _once_each([(event, _order_id(event)) for event in events if not order_moved(event)])
    if not todo:
        return
    # A Core connection, not an ORM session: nothing here maps rows to objects, and the
    # session's bookkeeping around its transaction cost more than the statements did.
    async with services.database.engine.begin() as connection:
        locked = await lock_outcome_orders(
            connection, OUTCOMES_GROUP, [(event.id, order_id) for event, order_id in todo]
        )
        todo = [(event, order_id) for event, order_id in todo if event.id in locked.fresh]
        moves = await move_orders_on_outcomes(services, connection, todo, locked.orders)
    await announce_moves(services, moves)


async def move_orders_on_outcomes(
    services: CommerceServices,
    connection: AsyncConnection,
    outcomes: Sequence[tuple[Event, str]],
    orders: Mapping[str, LockedOrder],
) -> list[OrderMove]:
    """In `connection`'s transaction, which locked `orders` (by id): decides what each new
    outcome (event, order id) does to its order, settles the stock of the moved orders in
    one catalog call, and moves them with their `order.status_changed` events."""
    moves: list[OrderMove] = []
    statuses = {order_id: OrderStatus(row.status) for order_id, row in orders.items()}
    for event, order_id in outcomes:
        row = orders.get(order_id)
        if row is None:
            log.warning("payment outcome %s names an unknown order", event.id)
            continue
        move = await _decide(services, connection, event, row, statuses[order_id])
        if move is not None:
            statuses[order_id] = move.after
            moves.append(move)
    if not moves:
        return moves
    await services.catalog.settle(
        [m.row.reservation_key for m in moves if m.after is OrderStatus.PAID],
        [m.row.reservation_key for m in moves if m.after is OrderStatus.PAYMENT_FAILED],
    )
    faults.crash_point(faults.OUTCOMES_SETTLED)
    await move_outcome_orders(
        connection,
        {move.row.id: statuses[move.row.id] for move in moves},
        [status_changed(m.row, m.before, m.after, m.reason) for m in moves],
        announce=services.relay.announces,
    )
    return moves


async def announce_moves(services: CommerceServices, moves: Sequence[OrderMove]) -> None:
    """Once the moves committed: their subscribers hear of them."""
    if moves:
        await services.orders_changed(
            [(move.row.id, move.after.value) for move in moves],
            relay_told=services.relay.announces,
        )


def _order_id(event: Event) -> str:
    order_id = event.payload.get("orderId")
    if not isinstance(order_id, str):
        raise ValueError(f"event {event.id} has no orderId")
    return order_id


def _once_each(todo: list[tuple[Event, str]]) -> list[tuple[Event, str]]:
    """Two copies of one event in a batch: the first counts (the inbox took it once)."""
    seen: set[uuid.UUID] = set()
    kept = []
    for event, order_id in todo:
        if event.id not in seen:
            seen.add(event.id)
            kept.append((event, order_id))
    return kept


async def _decide(
    services: CommerceServices,
    connection: AsyncConnection,
    event: Event,
    row: LockedOrder,
    before: OrderStatus,
) -> OrderMove | None:
    """The move `event` makes of its (locked) order, now in status `before`, if any. A
    success for an order that no longer waits for that payment is refunded here, at once."""
    succeeded = event.type == PAYMENT_SUCCEEDED
    payment_id = event.subject_id
    awaited = before is OrderStatus.PENDING_PAYMENT and row.current_payment_id == payment_id
    if awaited:
        if succeeded:
            return OrderMove(row, before, OrderStatus.PAID, "paid")
        reason = f"payment failed: {event.payload.get('failureReason')}"
        return OrderMove(row, before, OrderStatus.PAYMENT_FAILED, reason)
    if succeeded and not (row.current_payment_id == payment_id and before in PAID_OR_LATER):
        await _refund_late(services, connection, payment_id, row, before)
    return None


_PAYMENTS = cast(Table, PaymentRow.__table__)  # a declarative model's table is a Table
_REFUNDED = (
    update(_PAYMENTS)
    .where(_PAYMENTS.c.id == bindparam("payment_id"))
    .values(
        status=PaymentStatus.REFUNDED.value,
        updated_at=bindparam("refunded_at", type_=_PAYMENTS.c.updated_at.type),
    )
    .returning(_PAYMENTS.c.id)
)


async def _refund_late(
    services: CommerceServices,
    connection: AsyncConnection,
    payment_id: str,
    row: LockedOrder,
    before: OrderStatus,
) -> None:
    # Marked first, refunded then: if the refund fails, the mark rolls back with the batch.
    marked = await connection.scalar(
        _REFUNDED, {"payment_id": payment_id, "refunded_at": utc_now()}
    )
    if marked is None:
        log.warning("payment outcome names an unknown payment %s", payment_id)
        return
    await services.payments.refund(payment_id)
    log.info("payment %s came after order %s was %s: refunded", payment_id, row.id, before)


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
    """`order.placed`: the order's products leave its customer's cart (those lines that
    were in it when the order was placed)."""
    await remove_all_bought_lines(services, [event])


async def remove_all_bought_lines(services: CommerceServices, events: Sequence[Event]) -> None:
    """`remove_bought_lines` for the `order.placed` events that arrived together.

    No inbox: the removal is idempotent by itself (see the module docstring). A line
    re-added after the order is dated after it and stays, whatever delivery comes."""
    removals = [_bought(event) for event in events]
    await asyncio.gather(
        *(
            services.carts.remove_bought(user_id, bought, event.occurred_at)
            for event, (user_id, bought) in zip(events, removals, strict=True)
        )
    )


def _bought(event: Event) -> tuple[str, list[str]]:
    """The customer of an `order.placed` and the products the order bought."""
    user_id = event.payload.get("userId")
    lines = event.payload.get("lines")
    if not isinstance(user_id, str) or not isinstance(lines, list):
        raise ValueError(f"event {event.id} has no userId or lines")
    return user_id, [str(line["productId"]) for line in lines if isinstance(line, dict)]


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

    async def apply_outcomes(events: Sequence[Event]) -> None:
        # Looked up on each call, so that a test can count what reaches it.
        await apply_payment_outcomes(services, events)

    async def clear_carts(events: Sequence[Event]) -> None:
        await remove_all_bought_lines(services, events)

    outcomes = Batcher(apply_outcomes, name=OUTCOMES_GROUP)
    carts = Batcher(clear_carts, name=CARTS_GROUP)

    async def handle(delivery: Delivery) -> None:
        await outcomes.handle(delivery.event)
        await delivery.ack()

    async def clear(delivery: Delivery) -> None:
        await carts.handle(delivery.event)
        await delivery.ack()

    stop = asyncio.Event()
    async with (
        running_consumers(
            services.bus,
            OUTCOMES_GROUP,
            OUTCOME_TYPES,
            handle,
            # Several consumers hold an outcome each; those waiting together are
            # applied as one batch (one transaction, one catalog call).
            concurrency=services.commerce.order_outcome_concurrency,
        ),
        running_consumers(
            services.bus,
            CARTS_GROUP,
            CART_TYPES,
            clear,
            concurrency=services.commerce.order_outcome_concurrency,
        ),
    ):
        sweeper = asyncio.create_task(sweep(services, stop, sweep_interval(services)))
        try:
            yield
        finally:
            stop.set()
            await sweeper
