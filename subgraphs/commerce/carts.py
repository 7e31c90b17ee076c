"""Carts: what a customer means to buy, shown at today's catalog prices and stock.

Prices and stock come from the product cache (product_cache.py), which follows
catalog's events: a change shows once its event arrived, or at the latest when
the cached entry expires."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from subgraphs.commerce.catalog_client import CatalogProduct
from subgraphs.commerce.domain import MAX_CART_LINES, MAX_LINE_QUANTITY, check_quantity
from subgraphs.commerce.errors import CommerceErrorCode
from subgraphs.platform.errors import DomainError
from subgraphs.platform.money import to_amount

if TYPE_CHECKING:
    from subgraphs.commerce.services import CommerceServices

DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True, slots=True)
class CartLine:
    product_id: str
    quantity: int
    unit_price: Decimal
    currency: str

    @property
    def line_total(self) -> Decimal:
        return to_amount(self.unit_price * self.quantity)


@dataclass(frozen=True, slots=True)
class Cart:
    lines: tuple[CartLine, ...]
    subtotal: Decimal
    currency: str

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


def cart_of(stored: Sequence[tuple[str, int]], products: dict[str, CatalogProduct]) -> Cart:
    # A product the catalog no longer knows at all has no price to show; it is
    # left out. A soft-deleted one stays, so the customer sees why checkout fails.
    lines = tuple(
        CartLine(
            product_id,
            quantity,
            to_amount(products[product_id].price),
            products[product_id].currency,
        )
        for product_id, quantity in stored
        if product_id in products
    )
    currency = lines[0].currency if lines else DEFAULT_CURRENCY
    subtotal = to_amount(sum((line.line_total for line in lines), Decimal(0)))
    return Cart(lines, subtotal, currency)


async def view_cart(services: CommerceServices, user_id: str) -> Cart:
    stored = await services.carts.lines(user_id)
    products = await services.products.products([product_id for product_id, _ in stored])
    return cart_of(stored, products)


async def add_to_cart(
    services: CommerceServices, user_id: str, product_id: str, quantity: int
) -> Cart:
    check_quantity(quantity)
    return await _change_line(services, user_id, product_id, quantity, add=True)


async def update_cart_line(
    services: CommerceServices, user_id: str, product_id: str, quantity: int
) -> Cart:
    check_quantity(quantity, allow_zero=True)
    if quantity == 0:
        await services.carts.change_line(
            user_id, product_id, 0, add=False, cap=0, max_lines=MAX_CART_LINES
        )
        return await view_cart(services, user_id)
    return await _change_line(services, user_id, product_id, quantity, add=False)


async def clear_cart(services: CommerceServices, user_id: str) -> Cart:
    await services.carts.clear(user_id)
    return Cart((), Decimal("0.00"), DEFAULT_CURRENCY)


async def _change_line(
    services: CommerceServices, user_id: str, product_id: str, quantity: int, *, add: bool
) -> Cart:
    # The store checks the product and caps the line in the same atomic step as the
    # change, so two requests at once cannot together go past the stock or the limits.
    change = await services.carts.change_checked(
        user_id,
        product_id,
        quantity,
        add=add,
        max_quantity=MAX_LINE_QUANTITY,
        max_lines=MAX_CART_LINES,
        lookup=services.products.products,
    )
    products = change.products
    if change.refused == "not_found":
        raise DomainError(
            CommerceErrorCode.PRODUCT_NOT_FOUND,
            f"product {product_id} is not for sale",
            ["productId"],
        )
    product = products[product_id]
    if change.refused == "currency":
        others = {
            products[pid].currency
            for pid, _ in change.lines
            if pid in products and pid != product_id
        }
        raise DomainError(
            CommerceErrorCode.CURRENCY_MISMATCH,
            f"the cart is in {', '.join(sorted(others))}; {product.name} is in {product.currency}",
            ["productId"],
        )
    if change.refused == "lines":
        raise DomainError(
            CommerceErrorCode.TOO_MANY_LINES,
            f"a cart holds at most {MAX_CART_LINES} products",
            ["productId"],
        )
    if change.refused == "cap":
        wanted = change.before + quantity if add else quantity
        if wanted > MAX_LINE_QUANTITY:
            raise DomainError(
                CommerceErrorCode.INVALID_QUANTITY,
                f"a cart line holds at most {MAX_LINE_QUANTITY}; this one has {change.before}",
                ["quantity"],
            )
        raise DomainError(
            CommerceErrorCode.INSUFFICIENT_STOCK,
            f"only {product.stock} of {product.name} in stock",
            ["quantity"],
        )
    return cart_of(change.lines, products)
