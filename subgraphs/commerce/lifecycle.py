"""Moving orders along the state machine, with the stock and money that go with each move.

Every move runs in one transaction that holds the order's row lock, so two
moves of one order (a payment outcome and a cancellation, say) happen one
after the other and the second sees the first. Calls to catalog or to the
payment provider made inside the move are idempotent, so a move that rolls
back after one is simply done again later.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.commerce.domain import (
    HOLDS_STOCK,
    Order,
    OrderStatus,
    PaymentStatus,
    check_transition,
)
from subgraphs.commerce.errors import CommerceErrorCode
from subgraphs.commerce.events import payment_retried, status_changed
from subgraphs.commerce.models import OrderLineRow, OrderRow, PaymentRow, outbox
from subgraphs.commerce.orders import snapshot
from subgraphs.commerce.payments.cards import Card
from subgraphs.commerce.placing import new_payment
from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.columns import utc_now
from subgraphs.platform.errors import DomainError
from subgraphs.platform.events import Event, add_to_outbox

if TYPE_CHECKING:
    from subgraphs.commerce.services import CommerceServices

# What a move does besides changing the status; returns the extra events.
SideEffect = Callable[[AsyncSession, OrderRow], Awaitable[list[Event]]]
StaffMove = Callable[["CommerceServices", Principal, str], Awaitable[Order]]


def order_not_found(order_id: str) -> DomainError:
    # Someone else's order gets the same answer as no order: ids reveal nothing.
    return DomainError(CommerceErrorCode.ORDER_NOT_FOUND, f"there is no order {order_id}", ["id"])


async def lock_order(session: AsyncSession, order_id: str) -> OrderRow | None:
    return (
        await session.scalars(select(OrderRow).where(OrderRow.id == order_id).with_for_update())
    ).one_or_none()


async def move_order(
    services: CommerceServices,
    order_id: str,
    target: OrderStatus,
    reason: str,
    *,
    actor: Principal | None,
    side_effect: SideEffect | None = None,
) -> Order:
    """Moves the order to `target` (INVALID_STATE if the machine forbids it).

    `actor` None is the system (sweeper, consumers); a customer may move only
    their own orders.
    """
    async with services.database.session() as session:
        row = await lock_order(session, order_id)
        if row is None or (actor is not None and not actor.may_see(row.user_id)):
            raise order_not_found(order_id)
        before = OrderStatus(row.status)
        check_transition(before, target)
        events = await side_effect(session, row) if side_effect else []
        if before in HOLDS_STOCK and target is OrderStatus.CANCELLED:
            # Idempotent, so a move that rolls back after it is simply done again.
            await services.catalog.release(row.reservation_key)
        row.status = target.value
        row.updated_at = utc_now()
        events.append(status_changed(row, before, target, reason))
        await add_to_outbox(session, outbox, events)
        order = await snapshot(session, row)
    await services.order_changed(order_id, target.value)
    return order


async def cancel_order(services: CommerceServices, principal: Principal, order_id: str) -> Order:
    return await move_order(services, order_id, OrderStatus.CANCELLED, "cancelled", actor=principal)


async def retry_payment(
    services: CommerceServices, principal: Principal, order_id: str, card: Card
) -> Order:
    """A failed order is charged again with another card, holding its stock anew."""
    method = await services.payments.tokenize(card)

    async def reserve_again(session: AsyncSession, row: OrderRow) -> list[Event]:
        if row.user_id != principal.user_id:
            raise order_not_found(order_id)  # staff see the order but pay with no one's card
        lines = (
            await session.scalars(select(OrderLineRow).where(OrderLineRow.order_id == row.id))
        ).all()
        # A released reservation's key is never reused: each retry holds stock under its own.
        payments = await session.scalars(select(PaymentRow.id).where(PaymentRow.order_id == row.id))
        attempt = len(payments.all())
        row.reservation_key = f"{row.id}.{attempt}"
        await services.catalog.reserve(
            row.reservation_key, [(line.product_id, line.quantity) for line in lines]
        )
        now = utc_now()
        payment_id = str(uuid.uuid4())
        session.add(new_payment(payment_id, row, method, now))
        row.current_payment_id = payment_id
        row.expires_at = now + timedelta(seconds=services.commerce.reservation_ttl_seconds)
        await session.flush()
        return [payment_retried(row, payment_id)]

    return await move_order(
        services,
        order_id,
        OrderStatus.PENDING_PAYMENT,
        "payment retried",
        actor=principal,
        side_effect=reserve_again,
    )


async def ship_order(services: CommerceServices, principal: Principal, order_id: str) -> Order:
    _require_staff(principal)
    return await move_order(services, order_id, OrderStatus.SHIPPED, "shipped", actor=principal)


async def deliver_order(services: CommerceServices, principal: Principal, order_id: str) -> Order:
    _require_staff(principal)
    return await move_order(services, order_id, OrderStatus.DELIVERED, "delivered", actor=principal)


async def refund_order(services: CommerceServices, principal: Principal, order_id: str) -> Order:
    """Staff give the money back; the goods stay sold (returns are not modelled)."""
    _require_staff(principal)

    async def refund(session: AsyncSession, row: OrderRow) -> list[Event]:
        payment = await session.get(PaymentRow, row.current_payment_id)
        if payment is not None and payment.status == PaymentStatus.SUCCEEDED.value:
            await services.payments.refund(payment.id)
            payment.status = PaymentStatus.REFUNDED.value
            payment.updated_at = utc_now()
        return []

    return await move_order(
        services, order_id, OrderStatus.REFUNDED, "refunded", actor=principal, side_effect=refund
    )


def _require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise DomainError(CommerceErrorCode.FORBIDDEN, "only staff may do this")
