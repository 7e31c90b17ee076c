"""The clients every subgraph process opens at start and closes at stop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import Table

from subgraphs.platform.auth.keyring import KeyRing, load_key_ring
from subgraphs.platform.auth.service_token import load_service_token
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.platform.cache import Cache, create_cache
from subgraphs.platform.database import Database
from subgraphs.platform.events.bus import EventBus, InProcessBus
from subgraphs.platform.events.kafka import KafkaBus
from subgraphs.platform.events.outbox import OutboxRelay
from subgraphs.platform.events.rabbitmq import RabbitMQBus
from subgraphs.platform.events.routed import RoutedBus
from subgraphs.platform.events.routes import TopicRoutes
from subgraphs.platform.events.subscriptions import GroupDeclarations, Subscription
from subgraphs.platform.pubsub import PubSub, create_pubsub
from subgraphs.platform.settings import Settings


@dataclass(frozen=True)
class Platform:
    settings: Settings
    keys: KeyRing
    tokens: AccessTokens
    cache: Cache
    pubsub: PubSub
    bus: EventBus
    service_token: str | None  # for internal calls between subgraphs
    # Every consumer group of the installation, declared on `bus` before this
    # process first publishes (the relays and the tracker wait for it).
    declarations: GroupDeclarations
    # The Kafka log when configured: for producers that bypass the outbox
    # (tracking events) and consumers that read it in batches (analytics).
    log: KafkaBus | None = None
    # The process's one Redis connection pool when Redis is configured: the cache,
    # pub/sub and commerce's carts all borrow from it.
    redis: Redis | None = None

    def outbox_relay(self, database: Database, table: Table) -> OutboxRelay:
        """The relay of a subgraph's outbox, which declares every group before it publishes."""
        return OutboxRelay(database, table, self.bus, declarations=self.declarations)


@asynccontextmanager
async def open_platform(
    settings: Settings, subscriptions: Collection[Subscription] = ()
) -> AsyncIterator[Platform]:
    """The process's clients; `subscriptions` are the consumer groups its publishers
    declare first (the launcher's registry: a subgraph alone knows only its own)."""
    keys = load_key_ring(settings)
    # An exit stack, so a bus that fails to connect still closes what opened before it.
    async with AsyncExitStack() as opened:
        client = None
        if settings.redis_url is not None:
            # Connects lazily, and only as many connections as are in use at once.
            client = Redis.from_url(
                settings.redis_url, max_connections=settings.redis_max_connections
            )
            opened.push_async_callback(client.aclose)
        cache = create_cache(settings, client)
        opened.push_async_callback(cache.close)
        pubsub = create_pubsub(settings, client)
        opened.push_async_callback(pubsub.close)
        bus = await _open_queue_bus(settings)
        opened.push_async_callback(bus.close)
        log = await open_log(settings)
        if log is not None:
            opened.push_async_callback(log.close)
            bus = RoutedBus(bus, log, settings.kafka_groups)
        yield Platform(
            settings,
            keys,
            AccessTokens(keys, settings),
            cache,
            pubsub,
            bus,
            load_service_token(settings),
            GroupDeclarations(bus, log, subscriptions),
            log,
            client,
        )


async def open_log(settings: Settings) -> KafkaBus | None:
    """The started Kafka log, or None when `SHOPGRAPH_KAFKA_URL` is unset."""
    if settings.kafka_url is None:
        return None
    log = KafkaBus(
        settings.kafka_url,
        TopicRoutes(settings.kafka_routes),
        compression=settings.kafka_compression,
        idempotence=settings.kafka_idempotence,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        retry_delays=settings.bus_retry_delays_seconds,
    )
    await log.start()
    return log


async def _open_queue_bus(settings: Settings) -> EventBus:
    if settings.amqp_url is None:
        # The embedded mode: events stay in this process.
        return InProcessBus(retry_delays=settings.bus_retry_delays_seconds)
    bus = RabbitMQBus(
        settings.amqp_url,
        prefetch=settings.bus_prefetch,
        retry_delays=settings.bus_retry_delays_seconds,
    )
    await bus.start()
    return bus


class SharedPlatform:
    """One platform lent to several subgraph apps in one process (`shopgraph dev`).

    They then share one cache, one pub/sub and one event bus, as separate
    processes share Redis and the brokers.
    """

    def __init__(self) -> None:
        self._platform: Platform | None = None

    @asynccontextmanager
    async def open(
        self, settings: Settings, subscriptions: Collection[Subscription] = ()
    ) -> AsyncIterator[Platform]:
        async with open_platform(settings, subscriptions) as platform:
            self._platform = platform
            try:
                yield platform
            finally:
                self._platform = None

    @asynccontextmanager
    async def borrow(self, settings: Settings) -> AsyncIterator[Platform]:
        if self._platform is None:
            raise RuntimeError("open the shared platform before starting the apps that borrow it")
        yield self._platform
