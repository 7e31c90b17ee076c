"""What the commerce test modules share beyond the `shop` fixture: GraphQL documents for carts
and order moves, the payloads they expect, and readers of the commerce outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import orjson
from sqlalchemy import select

from subgraphs.commerce.catalog_client import (
    Catalog,
    CatalogProduct,
    CatalogUnavailable,
    ReservedLine,
)
from subgraphs.commerce.events import STATUS_CHANGED
from subgraphs.commerce.models import PaymentRow, outbox
from subgraphs.commerce.payments.simulator import SimulatedProvider
from subgraphs.platform.events import Event, event_of_row
from subgraphs.platform.money import CENT
from tests.subgraphs.commerce.conftest import SETTLE_SECONDS, SUCCEEDS, Shop

T = TypeVar("T")

POLL_SECONDS = 0.05


class NotingCatalog:
    """The shop's real catalog client, noting the products each call asked for and the
    settlements asked of it."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.asked: list[list[str]] = []
        self.settlements: list[tuple[list[str], list[str]]] = []

    async def products(self, ids: Sequence[str]) -> dict[str, CatalogProduct]:
        self.asked.append(list(ids))
        return await self.catalog.products(ids)

    async def reserve(
        self, reservation_key: str, lines: Sequence[tuple[str, int]]
    ) -> list[ReservedLine]:
        return await self.catalog.reserve(reservation_key, lines)

    async def release(self, reservation_key: str) -> None:
        await self.catalog.release(reservation_key)

    async def commit(self, reservation_key: str) -> None:
        await self.catalog.commit(reservation_key)

    async def settle(self, commits: Sequence[str], releases: Sequence[str]) -> None:
        self.settlements.append((list(commits), list(releases)))
        await self.catalog.settle(commits, releases)


class DownCatalog(NotingCatalog):
    """Catalog while it cannot be reached: every settlement fails, after being noted."""

    async def settle(self, commits: Sequence[str], releases: Sequence[str]) -> None:
        self.settlements.append((list(commits), list(releases)))
        raise CatalogUnavailable("ConnectError: catalog is restarting")


CART_FIELDS = """
  lines { product { id } quantity unitPrice { amount currency } lineTotal { amount } }
  subtotal { amount currency } itemCount
"""
CART = f"{{ cart {{ {CART_FIELDS} }} }}"
UPDATE_LINE = f"""
mutation Update($productId: ID!, $quantity: Int!) {{
  updateCartLine(productId: $productId, quantity: $quantity) {{
    cart {{ {CART_FIELDS} }} errors {{ field code message }}
  }}
}}"""
CLEAR = f"mutation {{ clearCart {{ cart {{ {CART_FIELDS} }} errors {{ field code message }} }} }}"

UPDATE_PRODUCT = """
mutation U($id: ID!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) { product { id } errors { code } }
}"""
DELETE_PRODUCT = "mutation D($id: ID!) { deleteProduct(id: $id) { deletedId errors { code } } }"

ORDER_MOVE = """
mutation Move($id: ID!) {{
  {name}(id: $id) {{ order {{ id status payments {{ status failureReason }} }} errors {{ field code message }} }}
}}"""


def line(product_id: str, quantity: int, price: str, currency: str = "USD") -> dict[str, Any]:
    """One cart line as the cart query shows it."""
    total = str((Decimal(price) * quantity).quantize(CENT))
    return {
        "product": {"id": product_id},
        "quantity": quantity,
        "unitPrice": {"amount": price, "currency": currency},
        "lineTotal": {"amount": total},
    }


def cart_of(*lines: dict[str, Any], currency: str = "USD") -> dict[str, Any]:
    """The whole cart holding `lines`, with its subtotal and item count."""
    subtotal = sum((Decimal(each["lineTotal"]["amount"]) for each in lines), Decimal("0.00"))
    return {
        "lines": list(lines),
        "subtotal": {"amount": str(subtotal.quantize(CENT)), "currency": currency},
        "itemCount": sum(each["quantity"] for each in lines),
    }


def refused(code: str, message: str, field: list[str] | None) -> list[dict[str, Any]]:
    """The `errors` of a payload refused with one UserError."""
    return [{"field": field, "code": code, "message": message}]


async def view_cart(shop: Shop, token: str) -> dict[str, Any]:
    body = await shop.query(CART, token=token)
    assert "errors" not in body, body
    cart: dict[str, Any] = body["data"]["cart"]
    return cart


async def update_line(shop: Shop, token: str, product_id: str, quantity: int) -> dict[str, Any]:
    body = await shop.query(UPDATE_LINE, {"productId": product_id, "quantity": quantity}, token)
    payload: dict[str, Any] = body["data"]["updateCartLine"]
    return payload


async def clear_cart(shop: Shop, token: str | None) -> dict[str, Any]:
    body = await shop.query(CLEAR, token=token)
    payload: dict[str, Any] = body["data"]["clearCart"]
    return payload


async def set_price(shop: Shop, product_id: str, price: str) -> None:
    """Changes the price in catalog, and returns once commerce's carts show it."""
    body = await shop.catalog(
        UPDATE_PRODUCT, {"id": product_id, "input": {"price": price}}, shop.staff_token
    )
    assert body["data"]["updateProduct"] == {"product": {"id": product_id}, "errors": []}, body
    await commerce_sees(shop, product_id, lambda product: product.price == Decimal(price))


async def delete_product(shop: Shop, product_id: str) -> None:
    """Deletes the product in catalog, and returns once commerce's carts know it."""
    body = await shop.catalog(DELETE_PRODUCT, {"id": product_id}, shop.staff_token)
    assert body["data"]["deleteProduct"] == {"deletedId": product_id, "errors": []}, body
    await commerce_sees(shop, product_id, lambda product: product.deleted)


async def commerce_sees(
    shop: Shop, product_id: str, check: Callable[[CatalogProduct], bool]
) -> None:
    """Waits until commerce's product cache has taken catalog's event (or dropped the entry)."""
    cache = shop.commerce.products.cache
    async with asyncio.timeout(SETTLE_SECONDS):
        while (cached := (await cache.get_many([product_id])).get(product_id)) is not None:
            if check(cached):
                return
            await asyncio.sleep(0.01)


async def move_order(shop: Shop, mutation: str, order_id: str, token: str) -> dict[str, Any]:
    """Runs one order mutation (`cancelOrder`, `shipOrder`, ...) and returns its payload."""
    body = await shop.query(ORDER_MOVE.format(name=mutation), {"id": order_id}, token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][mutation]
    return payload


async def placed_order(
    shop: Shop, token: str, product_id: str, quantity: int = 1, *, key: str, number: str = SUCCEEDS
) -> dict[str, Any]:
    """Puts `quantity` of the product in the cart and checks out; the order as placed."""
    added = await shop.add(token, product_id, quantity)
    assert added["errors"] == [], added
    placed = await shop.checkout(token, key=key, number=number)
    assert placed["errors"] == [], placed
    order: dict[str, Any] = placed["order"]
    return order


async def eventually(
    read: Callable[[], Awaitable[T]], done: Callable[[T], bool], seconds: float = 10.0
) -> T:
    """Polls `read` until `done` holds for what it returned; that value."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = await read()
        if done(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not done after {seconds} s: {value!r}")
        await asyncio.sleep(POLL_SECONDS)


async def status_changes(shop: Shop, order_id: str) -> list[tuple[str | None, str, str]]:
    """(from, to, reason) of every `order.status_changed` the order wrote, oldest first."""
    async with shop.commerce.database.session() as session:
        payloads = await session.scalars(
            select(outbox.c.payload)
            .where(outbox.c.type == STATUS_CHANGED, outbox.c.subject_id == order_id)
            .order_by(outbox.c.created_at)
        )
        changes = [orjson.loads(payload) for payload in payloads]
    return [(change["from"], change["to"], change["reason"]) for change in changes]


async def outbox_event(shop: Shop, event_type: str, subject_id: str) -> Event:
    """The one event of `event_type` about `subject_id` in the commerce outbox."""
    async with shop.commerce.database.session() as session:
        row = (
            await session.execute(
                select(outbox).where(outbox.c.type == event_type, outbox.c.subject_id == subject_id)
            )
        ).one()
    return event_of_row(row)


async def charged(shop: Shop, payment_id: str) -> tuple[int, str | None, bool] | None:
    """(attempts, outcome, refunded) of the payment as the simulated card network saw it."""
    simulator = shop.commerce.payments
    assert isinstance(simulator, SimulatedProvider)
    return await simulator.charged(payment_id)


async def payment_row(shop: Shop, payment_id: str) -> PaymentRow:
    async with shop.commerce.database.session() as session:
        row = await session.get(PaymentRow, payment_id)
    assert row is not None
    return row


async def put_in_cart(shop: Shop, user_id: str, product_id: str) -> None:
    """One unit of a product straight into the store, skipping the catalog checks."""
    change = await shop.commerce.carts.change_line(
        user_id, product_id, 1, add=False, cap=99, max_lines=100
    )
    assert change.refused is None
