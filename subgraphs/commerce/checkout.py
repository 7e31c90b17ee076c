"""Checkout: the cart becomes an order, once per idempotency key, without overselling.

1. A RESERVING row for (user, key) is inserted, or found: whichever request
   inserts it, every request with that key now works on the same order id.
2. In one transaction, holding that row's lock (PostgreSQL `FOR UPDATE`;
   SQLite's write lock), the first request to get it reserves the stock in
   catalog under the order's reservation key, snapshots the names and prices
   (read just before, outside the lock) into order lines, creates the payment,
   moves the row to PENDING_PAYMENT and writes `order.placed` to the outbox.
   Requests that waited on the lock find the finished order and return it;
   nothing else happens for them.
3. After the commit the cart is cleared and the outbox relay woken.

The card never reaches the database: the provider tokenises it first, and the
payment keeps the token, the brand and the last four digits.

A definite refusal (out of stock, deleted product) removes the RESERVING row:
nothing changed. If the catalog cannot be reached, or the process dies with
stock reserved, the row stays: a retry with the same key resumes it, and the
sweeper releases the stock of rows abandoned for `ABANDONED_AFTER`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.commerce.catalog_client import CatalogProduct, CatalogUnavailable
from subgraphs.commerce.domain import (
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    check_idempotency_key,
)
from subgraphs.commerce.errors import CommerceErrorCode
from subgraphs.commerce.events import order_placed, status_changed
from subgraphs.commerce.models import OrderLineRow, OrderRow, PaymentRow, outbox
from subgraphs.commerce.orders import RESERVING, orders_by_id, snapshot
from subgraphs.commerce.payments.cards import Card
from subgraphs.commerce.payments.provider import PaymentMethod
from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.columns import utc_now
from subgraphs.platform.errors import DomainError
from subgraphs.platform.events import add_to_outbox
from subgraphs.platform.money import to_amount

if TYPE_CHECKING:
    from subgraphs.commerce.services import CommerceServices

ABANDONED_AFTER = timedelta(minutes=2)
_ATTEMPTS = 3


async def checkout(
    services: CommerceServices, principal: Principal, idempotency_key: str, card: Card
) -> Order:
    key = check_idempotency_key(idempotency_key)
    user_id = principal.user_id
    method: PaymentMethod | None = None
    for _ in range(_ATTEMPTS):
        known = await _find(services, user_id, key)
        if known is not None and known.status != RESERVING:
            return await _replayed(services, user_id, known.id)
        # Read before the row lock: the embedded cart store shares the database,
        # and SQLite would make a second transaction wait for the one holding it.
        cart = await services.carts.lines(user_id)
        if known is None and not cart:
            # Empty, or emptied just now by a racing request with this key that won.
            known = await _find(services, user_id, key)
            if known is None:
                raise DomainError(CommerceErrorCode.EMPTY_CART, "the cart is empty", ["cart"])
            if known.status != RESERVING:
                return await _order(services, known.id)
        if known is None:
            await _insert_intent(services, user_id, key)
        if method is None:
            method = await services.payments.tokenize(card)
        # Names and prices are read before taking the lock, which is held only
        # for the reservation: racing requests with this key wait less.
        products = await services.catalog.products([product_id for product_id, _ in cart])
        order, refusal = await _complete(services, user_id, key, cart, products, method)
        if refusal is not None:
            raise refusal
        if order is not None:
            await services.carts.clear(user_id)
            await services.order_changed(order.id, OrderStatus.PENDING_PAYMENT.value)
            return order
        # The row went away under us: a racing request with this key was refused
        # and removed it. Start over, to get a definite answer of our own.
    raise DomainError(
        CommerceErrorCode.CHECKOUT_CONFLICT, "the checkout could not finish, try again"
    )


async def _replayed(services: CommerceServices, user_id: str, order_id: str) -> Order:
    """The order a key already made, for a retry of that checkout.

    A cart that now holds other lines is a new purchase under a used key: the
    client would silently get the old order, so it is refused, as payment APIs
    do. An empty cart (cleared by the checkout) or the same lines is a retry.
    """
    order = await _order(services, order_id)
    cart = await services.carts.lines(user_id)
    if cart and sorted(cart) != sorted((line.product_id, line.quantity) for line in order.lines):
        raise DomainError(
            CommerceErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this idempotency key was used for another cart; use a new key for a new order",
            ["idempotencyKey"],
        )
    return order


async def _find(services: CommerceServices, user_id: str, key: str) -> OrderRow | None:
    async with services.database.session() as session:
        return (
            await session.scalars(
                select(OrderRow).where(OrderRow.user_id == user_id, OrderRow.idempotency_key == key)
            )
        ).one_or_none()


async def _order(services: CommerceServices, order_id: str) -> Order:
    return (await orders_by_id(services.database, [order_id]))[order_id]


async def _insert_intent(services: CommerceServices, user_id: str, key: str) -> None:
    now = utc_now()
    order_id = str(uuid.uuid4())
    values = {
        "id": order_id,
        "user_id": user_id,
        "idempotency_key": key,
        "status": RESERVING,
        "total_amount": Decimal(0),
        "currency": "USD",
        "reservation_key": order_id,
        "current_payment_id": None,
        "expires_at": now + ABANDONED_AFTER,
        "created_at": now,
        "updated_at": now,
    }
    dialect = sqlite if services.database.is_sqlite else postgresql
    statement = (
        dialect.insert(OrderRow)
        .values(values)
        .on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"])
    )
    async with services.database.session() as session:
        await session.execute(statement)


async def _complete(
    services: CommerceServices,
    user_id: str,
    key: str,
    cart: Sequence[tuple[str, int]],
    products: dict[str, CatalogProduct],
    method: PaymentMethod,
) -> tuple[Order | None, DomainError | None]:
    """(order, None) once the order exists; (None, error) when refused; (None, None)
    when the RESERVING row is gone."""
    refusal: DomainError | None = None
    async with services.database.session() as session:
        row = (
            await session.scalars(
                select(OrderRow)
                .where(OrderRow.user_id == user_id, OrderRow.idempotency_key == key)
                .with_for_update()
            )
        ).one_or_none()
        if row is None:
            return None, None
        if row.status != RESERVING:
            return await snapshot(session, row), None
        try:
            lines = await _reserve_lines(services, row, cart, products)
        except CatalogUnavailable:
            raise  # the reservation may have happened: keep the row for a retry or the sweeper
        except DomainError as error:
            await session.delete(row)
            refusal = error
        else:
            await _place(session, services, row, lines, method)
            return await snapshot(session, row), None
    return None, refusal


async def _reserve_lines(
    services: CommerceServices,
    row: OrderRow,
    cart: Sequence[tuple[str, int]],
    products: dict[str, CatalogProduct],
) -> list[OrderLine]:
    if not cart:
        raise DomainError(CommerceErrorCode.EMPTY_CART, "the cart is empty", ["cart"])
    for product_id, _ in cart:
        product = products.get(product_id)
        if product is None or product.deleted:
            raise DomainError(
                CommerceErrorCode.PRODUCT_NOT_FOUND,
                f"product {product_id} is no longer sold",
                ["cart"],
            )
    currencies = {products[product_id].currency for product_id, _ in cart}
    if len(currencies) > 1:
        raise DomainError(
            CommerceErrorCode.CURRENCY_MISMATCH, "the cart mixes currencies", ["cart"]
        )
    try:
        reserved = dict(await services.catalog.reserve(row.reservation_key, cart))
    except CatalogUnavailable:
        raise
    except DomainError as refused:
        # The catalog names its own argument; to the customer it is the cart.
        raise DomainError(refused.code, refused.message, ["cart"]) from refused
    return [
        OrderLine(
            product_id=product_id,
            product_name=products[product_id].name,
            quantity=reserved[product_id],
            unit_price=to_amount(products[product_id].price),
            currency=products[product_id].currency,
        )
        for product_id, _ in cart
        if product_id in reserved
    ]


async def _place(
    session: AsyncSession,
    services: CommerceServices,
    row: OrderRow,
    lines: list[OrderLine],
    method: PaymentMethod,
) -> None:
    now = utc_now()
    total = to_amount(sum((line.line_total for line in lines), Decimal(0)))
    payment_id = str(uuid.uuid4())
    row.status = OrderStatus.PENDING_PAYMENT.value
    row.total_amount = total
    row.currency = lines[0].currency
    row.current_payment_id = payment_id
    row.expires_at = now + timedelta(seconds=services.settings.reservation_ttl_seconds)
    row.updated_at = now
    session.add_all(
        OrderLineRow(
            order_id=row.id,
            product_id=line.product_id,
            position=position,
            product_name=line.product_name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            currency=line.currency,
        )
        for position, line in enumerate(lines)
    )
    session.add(new_payment(payment_id, row, method, now))
    await session.flush()
    await add_to_outbox(
        session,
        outbox,
        [
            order_placed(row, lines, payment_id),
            status_changed(row, None, OrderStatus.PENDING_PAYMENT, "checkout"),
        ],
    )


def new_payment(
    payment_id: str, order: OrderRow, method: PaymentMethod, now: datetime
) -> PaymentRow:
    """A PENDING charge of the order's total with the tokenised card."""
    return PaymentRow(
        id=payment_id,
        order_id=order.id,
        status=PaymentStatus.PENDING.value,
        amount=order.total_amount,
        currency=order.currency,
        method_token=method.token,
        card_brand=method.summary.brand,
        card_last4=method.summary.last4,
        failure_reason=None,
        created_at=now,
        updated_at=now,
    )
