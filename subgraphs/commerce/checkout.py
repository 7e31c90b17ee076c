"""Checkout: the cart becomes an order, once per idempotency key, without overselling.

Reserve first, then write the order in one short transaction:

1. An empty cart is refused, unless an order was made with the key (a racing
   request with it won). The card is tokenised.
2. One statement looks for an order made with this (user, key) and, if there
   is none, takes a hold for the key (holds.py). An order is the answer (a
   retry), and the cart is made sure to be cleared of what it bought.
3. The hold's reservation key is shared by every racing request with this key.
   Catalog reserves the cart under it, over HTTP, while no transaction and no
   pooled connection is held, and answers each line's name, price and currency
   (one catalog call per checkout). A definite refusal (no stock, deleted
   product, mixed currencies) drops the hold: it changes nothing.
4. One transaction (on PostgreSQL one statement: placing.py) claims the hold,
   writes the order (PENDING_PAYMENT), its lines, its payment and `order.placed`
   to the outbox. Only the request that claims the hold writes; the others find
   the order on their next round.
5. After the commit the bought lines leave the cart and the relay is woken
   (nothing is published for `orderStatusChanged`: no one can subscribe to an
   order before it exists, and a subscription starts with the order as it is).
   The same removal is also an effect of `order.placed` (background.py), so a
   crash right after the commit cannot leave the cart full.

Compensation: a refused reservation drops the hold (catalog reserved nothing).
A reservation whose answer was lost (catalog unreachable), or a process that
dies between reservation and order, leaves the hold: a retry with the same key
resumes it, and otherwise the sweeper releases its stock after
`SHOPGRAPH_CHECKOUT_HOLD_SECONDS`. An order that could not be written on a
claimed hold (another request's order took the key), or a reservation whose
hold a refused racing request dropped, is released at once.

The card never reaches the database: the provider tokenises it first, and the
payment keeps the token, the brand and the last four digits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from subgraphs.commerce.catalog_client import CatalogUnavailable, ReservationSettled, ReservedLine
from subgraphs.commerce.domain import Order, OrderLine, check_idempotency_key
from subgraphs.commerce.errors import CommerceErrorCode
from subgraphs.commerce.holds import Hold, drop_hold, order_or_hold
from subgraphs.commerce.models import OrderRow
from subgraphs.commerce.orders import order_of, orders_by_id
from subgraphs.commerce.payments.cards import Card
from subgraphs.commerce.payments.provider import PaymentMethod
from subgraphs.commerce.placing import new_order, write_order
from subgraphs.platform import faults
from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.errors import DomainError
from subgraphs.platform.money import to_amount
from subgraphs.platform.tracing import current_request_id
from subgraphs.platform.transient import is_transient, one_line

if TYPE_CHECKING:
    from subgraphs.commerce.services import CommerceServices

log = logging.getLogger(__name__)

_ATTEMPTS = 3


async def checkout(
    services: CommerceServices, principal: Principal, idempotency_key: str, card: Card
) -> Order:
    key = check_idempotency_key(idempotency_key)
    user_id = principal.user_id
    method: PaymentMethod | None = None
    for _ in range(_ATTEMPTS):
        cart = await services.carts.lines(user_id)
        if not cart:
            # Empty, or emptied just now by a racing request with this key that won.
            known = await _find(services, user_id, key)
            if known is None:
                raise DomainError(CommerceErrorCode.EMPTY_CART, "the cart is empty", ["cart"])
            return await _order(services, known)
        if method is None:
            method = await services.payments.tokenize(card)
        found = await order_or_hold(services, user_id, key)
        if found.order_id is not None:
            return await _replayed(services, user_id, found.order_id)
        hold = found.hold
        if hold is None:
            continue
        try:
            lines = await _reserve_lines(services, hold, cart)
        except ReservationSettled:
            # The sweeper released this hold's stock (it outlived the hold timeout),
            # or a racing request's order was paid: look again with a fresh hold.
            continue
        order = await _write_order(services, hold, lines, method)
        if order is None:
            # A racing request with this key wrote the order, or the hold expired.
            await _release_if_orphaned(services, hold)
            continue
        faults.crash_point(faults.ORDER_COMMITTED)
        await _empty_cart_of(services, order)
        # The relay is woken; the pub/sub behind `orderStatusChanged` is not told: a
        # subscription starts by reading the order, which cannot happen before this
        # commit, and reads PENDING_PAYMENT then. A message would only make every
        # subscriber read the order again, for nothing.
        services.relay.notify()
        return order
    raise DomainError(
        CommerceErrorCode.CHECKOUT_CONFLICT, "the checkout could not finish, try again"
    )


async def _release_if_orphaned(services: CommerceServices, hold: Hold) -> None:
    """Releases the hold's reservation unless an order was written on it.

    The hold was gone when this request came to claim it. Normally a racing
    request with the key claimed it and its order owns the reservation, or the
    sweeper released it. But a racing request that was refused drops the hold
    too, and this request may have reserved under it just after (stock came
    back in between): then no order and no hold refers to the reservation, and
    only this request can give it back. Releasing is idempotent.
    """
    async with services.database.session() as session:
        order_id = await session.scalar(
            select(OrderRow.id).where(
                OrderRow.user_id == hold.user_id, OrderRow.idempotency_key == hold.idempotency_key
            )
        )
    if order_id != hold.reservation_key:
        await services.catalog.release(hold.reservation_key)


async def _empty_cart_of(services: CommerceServices, order: Order) -> None:
    """The order's lines leave the cart now, so the answer shows it empty. If the cart
    store is down the order still stands: `order.placed` empties the cart later."""
    bought = [line.product_id for line in order.lines]
    try:
        await services.carts.remove_bought(order.user_id, bought, order.created_at)
    except Exception as error:
        if not is_transient(error):
            raise
        log.warning(
            "order %s placed (request %s); its cart is emptied when order.placed is handled: %s",
            order.id,
            current_request_id() or "-",
            one_line(error),
        )


async def _replayed(services: CommerceServices, user_id: str, order_id: str) -> Order:
    """The order a key already made, for a retry of that checkout.

    What the order bought leaves the cart first: a retry after a checkout whose
    process died right after its commit finds the cart as that checkout left it.
    A cart that then holds other lines is a new purchase under a used key: the
    client would silently get the old order, so it is refused, as payment APIs
    do. An empty cart or the same lines again is a retry.
    """
    order = await _order(services, order_id)
    bought = [line.product_id for line in order.lines]
    await services.carts.remove_bought(user_id, bought, order.created_at)
    cart = await services.carts.lines(user_id)
    if cart and sorted(cart) != sorted((line.product_id, line.quantity) for line in order.lines):
        raise DomainError(
            CommerceErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this idempotency key was used for another cart; use a new key for a new order",
            ["idempotencyKey"],
        )
    return order


async def _find(services: CommerceServices, user_id: str, key: str) -> str | None:
    async with services.database.reading() as connection:
        return await connection.scalar(
            select(OrderRow.id).where(OrderRow.user_id == user_id, OrderRow.idempotency_key == key)
        )


async def _order(services: CommerceServices, order_id: str) -> Order:
    return (await orders_by_id(services.database, [order_id]))[order_id]


def _check_sellable(reserved: Sequence[ReservedLine]) -> None:
    """Catalog refuses to reserve these anew; a reservation made under the key before
    (a resumed checkout) may hold a product deleted since. The hold stays: a retry
    resumes it, or the sweeper gives its stock back."""
    for line in reserved:
        if line.deleted:
            raise DomainError(
                CommerceErrorCode.PRODUCT_NOT_FOUND,
                f"product {line.product_id} is no longer sold",
                ["cart"],
            )
    if len({line.currency for line in reserved}) > 1:
        raise DomainError(
            CommerceErrorCode.CURRENCY_MISMATCH, "the cart mixes currencies", ["cart"]
        )


async def _reserve_lines(
    services: CommerceServices, hold: Hold, cart: Sequence[tuple[str, int]]
) -> list[OrderLine]:
    try:
        reserved = await services.catalog.reserve(hold.reservation_key, cart)
    except CatalogUnavailable:
        raise  # it may have reserved: the hold stays for a retry or the sweeper
    except ReservationSettled:
        await drop_hold(services, hold)
        raise
    except DomainError as refused:
        await drop_hold(services, hold)  # all or nothing: catalog reserved nothing
        # The catalog names its own argument; to the customer it is the cart.
        raise DomainError(refused.code, refused.message, ["cart"]) from refused
    _check_sellable(reserved)
    by_product = {line.product_id: line for line in reserved}
    return [
        OrderLine(
            product_id=product_id,
            product_name=by_product[product_id].name,
            quantity=by_product[product_id].quantity,
            unit_price=to_amount(by_product[product_id].price),
            currency=by_product[product_id].currency,
        )
        for product_id, _ in cart
        if product_id in by_product
    ]


async def _write_order(
    services: CommerceServices, hold: Hold, lines: list[OrderLine], method: PaymentMethod
) -> Order | None:
    """The order, written on the hold's reservation; None if the hold is not ours to claim."""
    new = new_order(hold, lines, method, services.commerce.reservation_ttl_seconds)
    try:
        if not await write_order(services.database, hold, new):
            return None
    except IntegrityError:
        # Another hold of this key made the order first (a request that read "no
        # order" just before that order committed): give back what this one took.
        await services.catalog.release(hold.reservation_key)
        await drop_hold(services, hold)
        return None
    # What was just written, as written: no statement to read it back.
    return replace(order_of(new.order, ()), lines=tuple(lines))
