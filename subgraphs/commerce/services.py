"""The commerce subgraph's services, opened once per process in the app lifespan.

`open_core` is what every commerce process needs (database, cart store,
catalog client, product cache, payment provider, outbox relay); `open_services`
adds what the subgraph runs in the background: the consumer that feeds the
product cache from catalog's events and, unless `SHOPGRAPH_ORDER_JOBS=worker`
leaves them to `shopgraph worker orders`, the order jobs (background.py): the
consumer that moves orders on payment outcomes, the one that empties carts on
`order.placed`, and the sweeper. The payments worker (`shopgraph worker
payments`) runs on the core alone; the orders worker on the core and the order
jobs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from subgraphs.commerce.background import running_order_jobs
from subgraphs.commerce.cart_store import CartStore, DatabaseCartStore, RedisCartStore
from subgraphs.commerce.catalog_client import Catalog, HttpCatalog
from subgraphs.commerce.models import outbox
from subgraphs.commerce.payments.provider import PaymentProvider
from subgraphs.commerce.payments.simulator import SimulatedProvider
from subgraphs.commerce.product_cache import (
    CachedProducts,
    InProcessProductCache,
    RedisProductCache,
    running_product_feed,
)
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.platform.auth.keys import KeyConfigurationError
from subgraphs.platform.database import Database
from subgraphs.platform.events import EventBus, OutboxRelay
from subgraphs.platform.migrations import migrate as migrate_subgraph
from subgraphs.platform.migrations import upgrade
from subgraphs.platform.pubsub import PubSub
from subgraphs.platform.resources import Platform
from subgraphs.platform.settings import Settings

NAME = "commerce"
MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


def status_channel(order_id: str) -> str:
    return f"shopgraph:order-status:{order_id}"


@dataclass(frozen=True)
class CommerceServices:
    settings: Settings
    commerce: CommerceSettings
    database: Database
    carts: CartStore
    catalog: Catalog
    payments: PaymentProvider
    relay: OutboxRelay
    bus: EventBus
    pubsub: PubSub
    products: CachedProducts  # what carts show and check; checkout asks catalog itself

    async def order_changed(self, order_id: str, status: str) -> None:
        """After a commit that moved an order: publish its events and tell subscribers."""
        await self.orders_changed([(order_id, status)])

    async def orders_changed(
        self, changes: Sequence[tuple[str, str]], *, relay_told: bool = False
    ) -> None:
        """`order_changed` for the orders (id, status) one commit moved: one wake-up of
        the relay (none if the commit `relay_told` it already) and one round trip to
        the pub/sub for all of them."""
        if not relay_told:
            self.relay.notify()
        try:
            await self.pubsub.publish_all(
                [(status_channel(order_id), status.encode()) for order_id, status in changes]
            )
        except Exception:
            orders = ", ".join(order_id for order_id, _ in changes)
            log.warning("could not push the status of orders %s", orders, exc_info=True)


def require_service_token(settings: Settings) -> None:
    """Refuses to start without the token catalog's reservations need (dev generates one)."""
    if settings.service_token is None and not settings.embedded:
        raise KeyConfigurationError(
            "commerce needs SHOPGRAPH_SERVICE_TOKEN outside embedded dev: catalog refuses "
            "stock reservations without it, so no checkout could succeed. Set it to the "
            "same secret (32 characters or more) in catalog and commerce."
        )


async def migrate(settings: Settings) -> None:
    await migrate_subgraph(settings, NAME, MIGRATIONS)


@asynccontextmanager
async def open_core(
    platform: Platform, commerce: CommerceSettings | None = None
) -> AsyncIterator[CommerceServices]:
    settings = platform.settings
    commerce = commerce or CommerceSettings()
    database = Database(settings, NAME)
    carts: DatabaseCartStore | RedisCartStore = (
        RedisCartStore(platform.redis) if platform.redis else DatabaseCartStore(database)
    )
    catalog = HttpCatalog(commerce.catalog_url, platform.service_token)
    ttl = commerce.product_cache_seconds
    cache: RedisProductCache | InProcessProductCache = (
        RedisProductCache(platform.redis, ttl) if platform.redis else InProcessProductCache(ttl)
    )
    payments = SimulatedProvider(settings)
    try:
        await upgrade(database, MIGRATIONS)
        await payments.start()
        relay = platform.outbox_relay(database, outbox)
        services = CommerceServices(
            settings,
            commerce,
            database,
            carts,
            catalog,
            payments,
            relay,
            platform.bus,
            platform.pubsub,
            CachedProducts(cache, catalog),
        )
        async with relay.running(enabled=settings.relay_in_process):
            yield services
    finally:
        await payments.close()
        await catalog.close()
        await carts.close()
        await database.close()


@asynccontextmanager
async def open_services(
    platform: Platform, commerce: CommerceSettings | None = None
) -> AsyncIterator[CommerceServices]:
    async with (
        open_core(platform, commerce) as services,
        running_order_jobs(services, enabled=services.commerce.order_jobs == "in-process"),
        running_product_feed(services),
    ):
        yield services


async def check_ready(services: CommerceServices) -> None:
    await services.database.ping()
