"""The bench's products: created through the router as staff, and their stock read back."""

from __future__ import annotations

import aiohttp
from layout import Shop
from load import JSON, bearer, body, send

from subgraphs.platform.auth import Role

CREATE_PRODUCT = (
    "mutation C($input: ProductInput!) { createProduct(input: $input) "
    "{ product { id } errors { code message } } }"
)
STOCK = "query S($id: ID!) { product(id: $id) { stock } }"


async def create_products(
    session: aiohttp.ClientSession, shop: Shop, count: int, stock: int
) -> list[str]:
    """`count` products with `stock` units each, created through the router as staff."""
    headers = bearer(shop.token("bench-staff", Role.STAFF))
    ids = []
    for number in range(count):
        price = f"{5 + number % 7}.{number % 100:02d}"
        fields = {
            "name": f"Bench item {number}",
            "description": "Stocked for the checkout benchmark.",
            "price": price,
            "stock": stock,
        }
        reply = await send(
            session, shop.router_url, body(CREATE_PRODUCT, {"input": fields}), headers
        )
        payload = (reply.data or {}).get("createProduct") or {}
        if reply.error or payload.get("errors") or not payload.get("product"):
            raise RuntimeError(f"createProduct failed: {reply.error or payload}")
        ids.append(str(payload["product"]["id"]))
    return ids


async def stock_levels(
    session: aiohttp.ClientSession, shop: Shop, product_ids: list[str]
) -> dict[str, int]:
    """Each product's stock as the API reports it."""
    levels = {}
    for product_id in product_ids:
        reply = await send(session, shop.router_url, body(STOCK, {"id": product_id}), JSON)
        product = (reply.data or {}).get("product")
        if reply.error or not product:
            raise RuntimeError(f"product({product_id}) failed: {reply.error or reply.data}")
        levels[product_id] = int(product["stock"])
    return levels
