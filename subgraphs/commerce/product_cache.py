"""Products as carts see them: a short-lived cache fed by catalog's product events.

Showing a cart or adding to it needs each product's name, price, currency,
stock and whether it was deleted. Asking catalog on every add cost a GraphQL
call per add; now `CachedProducts` answers from the cache and asks catalog
only for the products it misses, all in one call, and keeps them for
`SHOPGRAPH_PRODUCT_CACHE_SECONDS`. Catalog's `product.created`, `.updated`
and `.deleted` events (which carry the whole product) put it in the cache as
it now is and `stock.changed` its new stock, so an entry follows catalog
within an event's way through the outbox, and a lost or late event is
corrected when the entry expires.

The stock seen here was always only a hint: checkout reserves stock in catalog,
which refuses what it does not have. Checkout reads prices from catalog itself.

Entries live in Redis when it is configured, so every commerce process shares
what the one consumer group writes; in this process's memory otherwise (dev).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Protocol

import redis.asyncio as redis
from redis.typing import EncodableT, FieldT

from subgraphs.commerce.catalog_client import Catalog, CatalogProduct
from subgraphs.commerce.queues import PRODUCT_CACHE, STOCK_CHANGED
from subgraphs.platform.events import Delivery, Event
from subgraphs.platform.events.consuming import running_consumers

if TYPE_CHECKING:
    from subgraphs.commerce.services import CommerceServices

log = logging.getLogger(__name__)

FIELDS = ("name", "price", "currency", "stock", "deleted")
PRODUCT_KEY_PREFIX = "shopgraph:product:"  # one hash of FIELDS per product

# Only an entry that is there gets its stock: a stock change must not make a
# product without a name or a price.
_SET_STOCK = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'stock', ARGV[1])
  return 1
end
return 0
"""


class ProductCache(Protocol):
    async def get_many(self, ids: Sequence[str]) -> dict[str, CatalogProduct]: ...

    async def put(self, products: Iterable[CatalogProduct]) -> None: ...

    async def set_stock(self, product_id: str, stock: int) -> None:
        """The new stock of a cached product; nothing for one not cached."""
        ...


class RedisProductCache:
    """One hash per product, `shopgraph:product:<id>`, expiring `ttl_seconds` after a put."""

    def __init__(self, client: redis.Redis, ttl_seconds: float) -> None:
        self.client = self._redis = client
        self._ttl_ms = max(1, round(ttl_seconds * 1000))
        self._set_stock = client.register_script(_SET_STOCK)

    async def get_many(self, ids: Sequence[str]) -> dict[str, CatalogProduct]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for product_id in ids:
                pipe.hmget(_key(product_id), FIELDS)
            rows = await pipe.execute()
        found = {}
        for product_id, values in zip(ids, rows, strict=True):
            if None in values:
                continue
            name, price, currency, stock, deleted = (bytes(value).decode() for value in values)
            found[product_id] = CatalogProduct(
                product_id, name, Decimal(price), currency, int(stock), deleted == "1"
            )
        return found

    async def put(self, products: Iterable[CatalogProduct]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for product in products:
                key = _key(product.id)
                pipe.delete(key)
                pipe.hset(key, mapping=_fields(product))
                pipe.pexpire(key, self._ttl_ms)
            await pipe.execute()

    async def set_stock(self, product_id: str, stock: int) -> None:
        await self._set_stock(keys=[_key(product_id)], args=[stock])


class InProcessProductCache:
    """The cache of one process (`shopgraph dev`); `clock` is injectable for tests."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[str, tuple[float, CatalogProduct]] = {}

    async def get_many(self, ids: Sequence[str]) -> dict[str, CatalogProduct]:
        now = self._clock()
        found = {}
        for product_id in ids:
            entry = self._entries.get(product_id)
            if entry is None:
                continue
            if entry[0] <= now:
                del self._entries[product_id]
                continue
            found[product_id] = entry[1]
        return found

    async def put(self, products: Iterable[CatalogProduct]) -> None:
        expires = self._clock() + self._ttl
        for product in products:
            self._entries[product.id] = (expires, product)
        # Expired entries of products nobody asks for again go on the next puts.
        now = self._clock()
        for product_id in [pid for pid, (until, _) in self._entries.items() if until <= now]:
            del self._entries[product_id]

    async def set_stock(self, product_id: str, stock: int) -> None:
        entry = self._entries.get(product_id)
        if entry is not None:
            until, product = entry
            self._entries[product_id] = (until, _with_stock(product, stock))


class CachedProducts:
    """Catalog's products through the cache: only misses go to catalog, in one call."""

    def __init__(self, cache: ProductCache, catalog: Catalog) -> None:
        self.cache = cache
        self._catalog = catalog

    async def products(self, ids: Sequence[str]) -> dict[str, CatalogProduct]:
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        found = await self.cache.get_many(unique)
        missing = [product_id for product_id in unique if product_id not in found]
        if missing:
            fetched = await self._catalog.products(missing)
            await self.cache.put(fetched.values())
            found.update(fetched)
        return found


async def apply_catalog_event(cache: ProductCache, event: Event) -> None:
    """Puts what a catalog event says about a product into the cache."""
    payload = event.payload
    try:
        if event.type == STOCK_CHANGED:
            await cache.set_stock(event.subject_id, int(str(payload["stock"])))
            return
        product = CatalogProduct(
            event.subject_id,
            str(payload["name"]),
            Decimal(str(payload["price"])),
            str(payload["currency"]),
            int(str(payload["stock"])),
            payload["deleted"] is True,
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        # Not retried: it would fail again. The entry expires and is read afresh.
        log.warning("catalog event %s (%s) is not readable: %r", event.id, event.type, error)
        return
    await cache.put([product])


@asynccontextmanager
async def running_product_feed(services: CommerceServices) -> AsyncIterator[None]:
    """The consumer that keeps the cache from catalog's events, while the block runs."""

    async def handle(delivery: Delivery) -> None:
        await apply_catalog_event(services.products.cache, delivery.event)
        await delivery.ack()

    async with running_consumers(
        services.bus, PRODUCT_CACHE.group, PRODUCT_CACHE.types, handle, concurrency=1
    ):
        yield


def _key(product_id: str) -> str:
    return f"{PRODUCT_KEY_PREFIX}{product_id}"


def _fields(product: CatalogProduct) -> dict[FieldT, EncodableT]:
    return {
        "name": product.name,
        "price": str(product.price),
        "currency": product.currency,
        "stock": str(product.stock),
        "deleted": "1" if product.deleted else "0",
    }


def _with_stock(product: CatalogProduct, stock: int) -> CatalogProduct:
    return CatalogProduct(
        product.id, product.name, product.price, product.currency, stock, product.deleted
    )
