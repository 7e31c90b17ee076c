"""The product cache carts read: only misses go to catalog, and catalog's events keep it."""

from __future__ import annotations

import uuid
from decimal import Decimal

import redis.asyncio as redis

from subgraphs.commerce.cart_store import RedisCartStore
from subgraphs.commerce.catalog_client import CatalogProduct
from subgraphs.commerce.product_cache import (
    CachedProducts,
    InProcessProductCache,
    RedisProductCache,
    apply_catalog_event,
)
from subgraphs.platform.events import Event
from subgraphs.platform.settings import Settings
from tests.subgraphs.commerce.conftest import Shop, open_shop
from tests.subgraphs.commerce.helpers import NotingCatalog, commerce_sees, set_price


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lamp(product_id: str = "p-1", stock: int = 5) -> CatalogProduct:
    return CatalogProduct(product_id, "Lamp", Decimal("30.00"), "USD", stock, False)


async def test_only_products_missing_from_the_cache_are_asked_of_catalog(shop: Shop) -> None:
    a, b, c = [await shop.product(stock=n, price=f"{n}.50", name=f"P{n}") for n in (1, 2, 3)]
    asked = NotingCatalog(shop.commerce.catalog)
    products = CachedProducts(InProcessProductCache(60.0), asked)

    first = await products.products([a, b, a])
    second = await products.products([b, c, a])

    assert asked.asked == [[a, b], [c]]
    assert first == {
        a: CatalogProduct(a, "P1", Decimal("1.50"), "USD", 1, False),
        b: CatalogProduct(b, "P2", Decimal("2.50"), "USD", 2, False),
    }
    assert second == {**first, c: CatalogProduct(c, "P3", Decimal("3.50"), "USD", 3, False)}


async def test_an_entry_expires_and_is_asked_again(shop: Shop) -> None:
    a = await shop.product(stock=4, price="4.00", name="A")
    clock = Clock()
    asked = NotingCatalog(shop.commerce.catalog)
    products = CachedProducts(InProcessProductCache(2.0, clock), asked)

    await products.products([a])
    clock.now += 1.9
    await products.products([a])
    clock.now += 0.1
    await products.products([a])

    assert asked.asked == [[a], [a]]


async def test_catalog_events_reach_the_cache_of_the_running_shop(shop: Shop) -> None:
    lamp_id = await shop.product(stock=5, price="30.00", name="Lamp")
    ann = shop.token("ann")
    await shop.add(ann, lamp_id, 2)  # the add reads the lamp into the cache

    await set_price(shop, lamp_id, "27.45")  # waits for product.updated to arrive
    placed = await shop.checkout(ann, key=str(uuid.uuid4()))
    assert placed["errors"] == []
    # The reservation's stock.changed follows too.
    await commerce_sees(shop, lamp_id, lambda product: product.stock == 3)

    cached = await shop.commerce.products.cache.get_many([lamp_id])
    assert cached == {lamp_id: CatalogProduct(lamp_id, "Lamp", Decimal("27.45"), "USD", 3, False)}


async def test_the_redis_cache_is_shared_fed_and_expires(
    settings: Settings, redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        one, other = RedisProductCache(client, 2.5), RedisProductCache(client, 2.5)
        await one.put([lamp("p-1")])

        assert await other.get_many(["p-1", "p-2"]) == {"p-1": lamp("p-1")}
        assert 0 < await client.pttl("shopgraph:product:p-1") <= 2500

        await one.set_stock("p-1", 2)
        await one.set_stock("p-2", 7)  # not cached: stays out, without a name or price
        assert await other.get_many(["p-1", "p-2"]) == {"p-1": lamp("p-1", stock=2)}
        assert await client.exists("shopgraph:product:p-2") == 0

        deleted = Event.new(
            "product.deleted",
            "p-1",
            {"name": "Lamp", "price": "31.00", "currency": "USD", "stock": 2, "deleted": True},
        )
        await apply_catalog_event(other, deleted)
        assert await one.get_many(["p-1"]) == {
            "p-1": CatalogProduct("p-1", "Lamp", Decimal("31.00"), "USD", 2, True)
        }
    finally:
        await client.aclose()


async def test_carts_and_the_product_cache_borrow_the_platforms_one_redis_pool(
    settings: Settings, redis_url: str
) -> None:
    async with open_shop(settings.model_copy(update={"redis_url": redis_url})) as shop:
        carts, cache = shop.commerce.carts, shop.commerce.products.cache
        assert isinstance(carts, RedisCartStore)
        assert isinstance(cache, RedisProductCache)
        assert carts.client is cache.client
        a = await shop.product(stock=3, price="3.00", name="A")
        await shop.add(shop.token("ann"), a)
        pool = cache.client.connection_pool

    # Everything this shop did with Redis went through the one pool, now closed.
    assert pool.max_connections == settings.redis_max_connections
