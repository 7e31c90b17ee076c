"""The commerce subgraph's GraphQL API. Resolvers parse, call one service, shape the payload.

Ownership: a customer sees and moves only their own cart and orders; staff see
everyone's. Someone else's order looks exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeAlias

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types import Info

from subgraphs.commerce import carts, checkout, lifecycle, orders
from subgraphs.commerce.carts import Cart as CartValue
from subgraphs.commerce.domain import Order as OrderValue
from subgraphs.commerce.domain import OrderStatus, PaymentStatus
from subgraphs.commerce.domain import Payment as PaymentValue
from subgraphs.commerce.errors import CommerceErrorCode
from subgraphs.commerce.payments.cards import Card, parse_card
from subgraphs.commerce.services import CommerceServices, status_channel
from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.columns import utc_now
from subgraphs.platform.context import RequestContext
from subgraphs.platform.errors import (
    DomainError,
    UserError,
    query_error,
    user_error_list,
)
from subgraphs.platform.money import Money
from subgraphs.platform.pagination import CONNECTION_SIZE, PageInfo, assumed_size, page_info
from subgraphs.platform.schema import federation_schema


@dataclass(frozen=True)
class CommerceLoaders:
    orders: DataLoader[str, OrderValue | None]
    # Keyed by (order id, updated_at): an order that moved loads fresh payments,
    # which matters on a subscription, whose context lives as long as the socket.
    payments: DataLoader[tuple[str, datetime], list[PaymentValue]]


def make_loaders(services: CommerceServices) -> CommerceLoaders:
    async def load_orders(ids: list[str]) -> list[OrderValue | None]:
        found = await orders.orders_by_id(services.database, ids)
        return [found.get(order_id) for order_id in ids]

    async def load_payments(keys: list[tuple[str, datetime]]) -> list[list[PaymentValue]]:
        found = await orders.payments_by_order(services.database, [key[0] for key in keys])
        return [found.get(order_id, []) for order_id, _ in keys]

    return CommerceLoaders(
        orders=DataLoader(load_fn=load_orders),
        payments=DataLoader(load_fn=load_payments),
    )


Context: TypeAlias = RequestContext[CommerceServices, CommerceLoaders]
strawberry.enum(OrderStatus, name="OrderStatus")
strawberry.enum(PaymentStatus, name="PaymentStatus")


def _signed_in(info: Info[Context, None]) -> Principal:
    """The caller of a mutation; signed out is a UserError like any other refusal."""
    if info.context.principal is None:
        raise DomainError(CommerceErrorCode.UNAUTHENTICATED, "sign in first")
    return info.context.principal


def _money(amount: Decimal, currency: str) -> Money:
    return Money(amount=amount, currency=currency)


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Product:
    id: strawberry.ID


@strawberry.type
class CartLine:
    product: Product
    quantity: int
    unit_price: Money
    line_total: Money


@strawberry.type
class Cart:
    lines: list[CartLine] = strawberry.field(directives=[assumed_size(20)])
    subtotal: Money
    item_count: int

    @classmethod
    def of(cls, cart: CartValue) -> Cart:
        return cls(
            lines=[
                CartLine(
                    product=Product(id=strawberry.ID(line.product_id)),
                    quantity=line.quantity,
                    unit_price=_money(line.unit_price, line.currency),
                    line_total=_money(line.line_total, line.currency),
                )
                for line in cart.lines
            ],
            subtotal=_money(cart.subtotal, cart.currency),
            item_count=cart.item_count,
        )


@strawberry.type
class CartPayload:
    cart: Cart | None = None
    errors: list[UserError] = user_error_list()


@strawberry.type
class Payment:
    id: strawberry.ID
    status: PaymentStatus
    amount: Money
    failure_reason: str | None
    card_brand: str
    card_last4: str
    created_at: datetime

    @classmethod
    def of(cls, payment: PaymentValue) -> Payment:
        return cls(
            id=strawberry.ID(payment.id),
            status=payment.status,
            amount=_money(payment.amount, payment.currency),
            failure_reason=payment.failure_reason,
            card_brand=payment.card_brand,
            card_last4=payment.card_last4,
            created_at=payment.created_at,
        )


@strawberry.type
class OrderLine:
    product: Product
    product_name: str = strawberry.field(description="The name when the order was placed.")
    quantity: int
    unit_price: Money = strawberry.field(description="The price when the order was placed.")
    line_total: Money


@strawberry.federation.type(keys=["id"], description="Visible to its owner and to staff.")
class Order:
    id: strawberry.ID
    status: OrderStatus
    lines: list[OrderLine] = strawberry.field(directives=[assumed_size(20)])
    total: Money
    user: User
    created_at: datetime
    updated_at: datetime

    @strawberry.field(directives=[assumed_size(5)])
    async def payments(self, info: Info[Context, None]) -> list[Payment]:
        found = await info.context.loaders.payments.load((str(self.id), self.updated_at))
        return [Payment.of(payment) for payment in found]

    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Order | None:
        order = await info.context.loaders.orders.load(str(id))
        return _visible(info, order)

    @classmethod
    def of(cls, order: OrderValue) -> Order:
        return cls(
            id=strawberry.ID(order.id),
            status=order.status,
            lines=[
                OrderLine(
                    product=Product(id=strawberry.ID(line.product_id)),
                    product_name=line.product_name,
                    quantity=line.quantity,
                    unit_price=_money(line.unit_price, line.currency),
                    line_total=_money(line.line_total, line.currency),
                )
                for line in order.lines
            ],
            total=_money(order.total, order.currency),
            user=User(id=strawberry.ID(order.user_id)),
            created_at=order.created_at,
            updated_at=order.updated_at,
        )


def _visible(info: Info[Context, None], order: OrderValue | None) -> Order | None:
    if order is None:
        return None
    principal = info.context.principal
    if info.context.is_service or (principal is not None and principal.may_see(order.user_id)):
        return Order.of(order)
    return None


@strawberry.type
class OrderEdge:
    cursor: str
    node: Order


@strawberry.type
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo
    total_count: int


async def _orders_of(
    info: Info[Context, None],
    user_id: str | None,
    first: int,
    after: str | None,
    status: OrderStatus | None = None,
) -> OrderConnection:
    """One user's orders (self or staff), or everyone's (`user_id` None: staff only)."""
    principal = info.context.require_principal()
    if not (principal.is_staff if user_id is None else principal.may_see(user_id)):
        raise query_error(DomainError(CommerceErrorCode.FORBIDDEN, "these orders are not yours"))
    page = await orders.orders_page(
        info.context.services.database, first, after, user_id=user_id, status=status
    )
    cursors = list(page.cursors)
    return OrderConnection(
        edges=[
            OrderEdge(cursor=cursor, node=Order.of(order))
            for order, cursor in zip(page.orders, cursors, strict=True)
        ],
        page_info=page_info(cursors, page.has_next_page, after),
        total_count=page.total,
    )


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @strawberry.field(
        description="The user's orders, newest first. Self or staff.",
        directives=[CONNECTION_SIZE],
    )
    async def orders(
        self, info: Info[Context, None], first: int = 20, after: str | None = None
    ) -> OrderConnection:
        return await _orders_of(info, str(self.id), first, after)

    @strawberry.field(description="The user's cart. Self or staff.")
    async def cart(self, info: Info[Context, None]) -> Cart | None:
        principal = info.context.require_principal()
        if not principal.may_see(str(self.id)):
            raise query_error(DomainError(CommerceErrorCode.FORBIDDEN, "this cart is not yours"))
        return Cart.of(await carts.view_cart(info.context.services, str(self.id)))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id)


@strawberry.input(
    description=(
        "Card numbers follow the simulator's test cards: 4242424242424242 succeeds, "
        "4000000000000002 is declined, 4000000000009995 has insufficient funds, "
        "4000000000000119 fails transiently twice and then succeeds."
    )
)
class PaymentMethodInput:
    card_number: str
    exp_month: int
    exp_year: int
    cvc: str

    def card(self) -> Card:
        return parse_card(self.card_number, self.exp_month, self.exp_year, self.cvc, utc_now())


@strawberry.input
class CheckoutInput:
    idempotency_key: str = strawberry.field(
        description="The same key from the same user returns the same order."
    )
    payment_method: PaymentMethodInput


@strawberry.type
class CheckoutPayload:
    order: Order | None = None
    errors: list[UserError] = user_error_list()


@strawberry.type
class OrderPayload:
    order: Order | None = None
    errors: list[UserError] = user_error_list()


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in customer's cart.")
    async def cart(self, info: Info[Context, None]) -> Cart | None:
        principal = info.context.require_principal()
        return Cart.of(await carts.view_cart(info.context.services, principal.user_id))

    @strawberry.field(description="One order, for its owner or staff; null for anyone else.")
    async def order(self, info: Info[Context, None], id: strawberry.ID) -> Order | None:
        info.context.require_principal()
        return _visible(info, await info.context.loaders.orders.load(str(id)))

    @strawberry.field(
        description="The signed-in customer's orders, newest first.", directives=[CONNECTION_SIZE]
    )
    async def my_orders(
        self, info: Info[Context, None], first: int = 20, after: str | None = None
    ) -> OrderConnection:
        principal = info.context.require_principal()
        return await _orders_of(info, principal.user_id, first, after)

    @strawberry.field(
        description="Staff only: every customer's orders, newest first; of one status if given.",
        directives=[CONNECTION_SIZE],
    )
    async def orders(
        self,
        info: Info[Context, None],
        first: int = 20,
        after: str | None = None,
        status: OrderStatus | None = None,
    ) -> OrderConnection:
        return await _orders_of(info, None, first, after, status)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def add_to_cart(
        self, info: Info[Context, None], product_id: strawberry.ID, quantity: int = 1
    ) -> CartPayload:
        principal = _signed_in(info)
        cart = await carts.add_to_cart(
            info.context.services, principal.user_id, str(product_id), quantity
        )
        return CartPayload(cart=Cart.of(cart))

    @strawberry.mutation(description="Sets a line's quantity; 0 removes the line.")
    async def update_cart_line(
        self, info: Info[Context, None], product_id: strawberry.ID, quantity: int
    ) -> CartPayload:
        principal = _signed_in(info)
        cart = await carts.update_cart_line(
            info.context.services, principal.user_id, str(product_id), quantity
        )
        return CartPayload(cart=Cart.of(cart))

    @strawberry.mutation
    async def clear_cart(self, info: Info[Context, None]) -> CartPayload:
        principal = _signed_in(info)
        return CartPayload(
            cart=Cart.of(await carts.clear_cart(info.context.services, principal.user_id))
        )

    @strawberry.mutation(
        description="Places the cart as an order and starts the payment. Idempotent per key."
    )
    async def checkout(self, info: Info[Context, None], input: CheckoutInput) -> CheckoutPayload:
        principal = _signed_in(info)
        order = await checkout.checkout(
            info.context.services,
            principal,
            input.idempotency_key,
            input.payment_method.card(),
        )
        return CheckoutPayload(order=Order.of(order))

    @strawberry.mutation(description="Owner or staff; releases the order's stock.")
    async def cancel_order(self, info: Info[Context, None], id: strawberry.ID) -> OrderPayload:
        principal = _signed_in(info)
        order = await lifecycle.cancel_order(info.context.services, principal, str(id))
        return OrderPayload(order=Order.of(order))

    @strawberry.mutation(description="Owner only: pays a PAYMENT_FAILED order with another card.")
    async def retry_payment(
        self, info: Info[Context, None], order_id: strawberry.ID, payment_method: PaymentMethodInput
    ) -> OrderPayload:
        principal = _signed_in(info)
        order = await lifecycle.retry_payment(
            info.context.services, principal, str(order_id), payment_method.card()
        )
        return OrderPayload(order=Order.of(order))

    @strawberry.mutation(description="Staff only: PAID -> SHIPPED.")
    async def ship_order(self, info: Info[Context, None], id: strawberry.ID) -> OrderPayload:
        return await _staff_move(info, lifecycle.ship_order, str(id))

    @strawberry.mutation(description="Staff only: SHIPPED -> DELIVERED.")
    async def deliver_order(self, info: Info[Context, None], id: strawberry.ID) -> OrderPayload:
        return await _staff_move(info, lifecycle.deliver_order, str(id))

    @strawberry.mutation(description="Staff only: PAID -> REFUNDED, giving the payment back.")
    async def refund_order(self, info: Info[Context, None], id: strawberry.ID) -> OrderPayload:
        return await _staff_move(info, lifecycle.refund_order, str(id))


async def _staff_move(
    info: Info[Context, None], move: lifecycle.StaffMove, order_id: str
) -> OrderPayload:
    order = await move(info.context.services, _signed_in(info), order_id)
    return OrderPayload(order=Order.of(order))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=("The order now, then again each time its status changes. Owner or staff.")
    )
    async def order_status_changed(
        self, info: Info[Context, None], order_id: strawberry.ID
    ) -> AsyncGenerator[Order, None]:
        principal = info.context.require_principal()
        services = info.context.services
        wanted = str(order_id)

        async def current() -> OrderValue | None:
            return (await orders.orders_by_id(services.database, [wanted])).get(wanted)

        order = await current()
        if order is None or not principal.may_see(order.user_id):
            raise query_error(lifecycle.order_not_found(wanted))
        # Subscribed before the first read, so no change between the two is missed.
        async with services.pubsub.subscribe(status_channel(wanted)) as changes:
            last: tuple[OrderStatus, datetime] | None = None
            order = await current()
            while order is not None:
                if (order.status, order.updated_at) != last:
                    last = (order.status, order.updated_at)
                    yield Order.of(order)
                if await anext(changes, None) is None:
                    return
                order = await current()


schema = federation_schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Order, User, Product],
    error_codes=CommerceErrorCode,
)
