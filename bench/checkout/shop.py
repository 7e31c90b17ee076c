"""The shop under load: catalog and commerce served on loopback ports in this process,
sharing one platform (bus, pub/sub), with the payments worker consuming beside them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import aiohttp
from load import JSON, bearer, body, send

from shopgraph.loopback import free_port, served
from subgraphs.catalog.app import create_app as create_catalog
from subgraphs.commerce.app import create_app as create_commerce
from subgraphs.commerce.payments.worker import running_payments_worker
from subgraphs.commerce.services import CommerceServices
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.platform.resources import SharedPlatform
from subgraphs.platform.settings import Settings

CREATE_PRODUCT = (
    "mutation C($input: ProductInput!) { createProduct(input: $input) "
    "{ product { id } errors { code message } } }"
)
STOCK = "query S($id: ID!) { product(id: $id) { stock } }"


@dataclass(frozen=True)
class Shop:
    catalog_url: str
    commerce_url: str
    tokens: AccessTokens
    commerce: CommerceServices

    def token(self, user_id: str, role: Role = Role.CUSTOMER) -> str:
        return self.tokens.issue(Principal(user_id, role))


@asynccontextmanager
async def open_shop(settings: Settings) -> AsyncIterator[Shop]:
    catalog_port, commerce_port = free_port(), free_port()
    catalog_url = f"http://127.0.0.1:{catalog_port}/graphql"
    settings = settings.model_copy(update={"catalog_url": catalog_url})
    shared = SharedPlatform()
    async with AsyncExitStack() as stack:
        platform = await stack.enter_async_context(shared.open(settings))
        await stack.enter_async_context(
            served(create_catalog(settings, shared.borrow), catalog_port)
        )
        commerce_app = create_commerce(settings, shared.borrow)
        await stack.enter_async_context(served(commerce_app, commerce_port))
        services: CommerceServices = commerce_app.state.services
        await stack.enter_async_context(running_payments_worker(services))
        yield Shop(
            catalog_url, f"http://127.0.0.1:{commerce_port}/graphql", platform.tokens, services
        )


async def create_products(
    session: aiohttp.ClientSession, shop: Shop, count: int, stock: int
) -> list[str]:
    """`count` products with `stock` units each, created through catalog's API as staff."""
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
            session, shop.catalog_url, body(CREATE_PRODUCT, {"input": fields}), headers
        )
        payload = (reply.data or {}).get("createProduct") or {}
        if reply.error or payload.get("errors") or not payload.get("product"):
            raise RuntimeError(f"createProduct failed: {reply.error or payload}")
        ids.append(str(payload["product"]["id"]))
    return ids


async def stock_levels(
    session: aiohttp.ClientSession, shop: Shop, product_ids: list[str]
) -> dict[str, int]:
    """Each product's stock as catalog's API reports it."""
    levels = {}
    for product_id in product_ids:
        reply = await send(session, shop.catalog_url, body(STOCK, {"id": product_id}), JSON)
        product = (reply.data or {}).get("product")
        if reply.error or not product:
            raise RuntimeError(f"product({product_id}) failed: {reply.error or reply.data}")
        levels[product_id] = int(product["stock"])
    return levels
