"""The clients every subgraph process opens at start and closes at stop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from subgraphs.platform.auth.keys import KeyPair, load_key_pair
from subgraphs.platform.auth.service_token import load_service_token
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.platform.cache import Cache, create_cache
from subgraphs.platform.events.bus import EventBus, InProcessBus
from subgraphs.platform.pubsub import PubSub, create_pubsub
from subgraphs.platform.settings import Settings


@dataclass(frozen=True)
class Platform:
    settings: Settings
    keys: KeyPair
    tokens: AccessTokens
    cache: Cache
    pubsub: PubSub
    bus: EventBus
    service_token: str | None  # for internal calls between subgraphs


@asynccontextmanager
async def open_platform(settings: Settings) -> AsyncIterator[Platform]:
    keys = load_key_pair(settings)
    cache = create_cache(settings)
    pubsub = create_pubsub(settings)
    # Brokers arrive with the issues that need them; until then events stay in
    # this process, which is what the embedded mode wants anyway.
    bus = InProcessBus()
    try:
        yield Platform(
            settings,
            keys,
            AccessTokens(keys, settings),
            cache,
            pubsub,
            bus,
            load_service_token(settings),
        )
    finally:
        await bus.close()
        await pubsub.close()
        await cache.close()


class SharedPlatform:
    """One platform lent to several subgraph apps in one process (`shopgraph dev`).

    They then share one cache, one pub/sub and one event bus, as separate
    processes share Redis and the brokers.
    """

    def __init__(self) -> None:
        self._platform: Platform | None = None

    @asynccontextmanager
    async def open(self, settings: Settings) -> AsyncIterator[Platform]:
        async with open_platform(settings) as platform:
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
