"""The events the catalog emits: product.created/updated/deleted and stock.changed."""

from __future__ import annotations

from subgraphs.catalog.domain import Product
from subgraphs.platform.events import Event


def product_event(kind: str, product: Product) -> Event:
    """The product as it is after the change; consumers need not call back."""
    return Event.new(
        kind,
        product.id,
        {
            "name": product.name,
            "description": product.description,
            "price": str(product.price),
            "currency": product.currency,
            "stock": product.stock,
            "categoryId": product.category.id if product.category else None,
            "categoryName": product.category.name if product.category else None,
            "createdAt": product.created_at.isoformat(),
            "deleted": product.deleted_at is not None,
        },
    )


STOCK_CHANGED = "stock.changed"


def stock_changed(
    product_id: str, stock: int, delta: int, reason: str, order_id: str | None = None
) -> Event:
    return Event.new(
        STOCK_CHANGED,
        product_id,
        {"stock": stock, "delta": delta, "reason": reason, "orderId": order_id},
    )
