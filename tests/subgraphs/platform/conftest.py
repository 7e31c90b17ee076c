"""Fixtures of the platform tests: a cache per implementation, and time that passes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from subgraphs.platform.cache import Cache, InProcessCache, RedisCache

Elapse = Callable[[float], Awaitable[None]]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def cache_url(request: pytest.FixtureRequest) -> str | None:
    """None for the in-process cache, else a flushed Redis database.

    A plain (sync) fixture, so it can set up the async `redis_url` fixture on demand.
    """
    if request.param == "redis":
        return str(request.getfixturevalue("redis_url"))
    return None


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def cache(cache_url: str | None, clock: FakeClock) -> AsyncIterator[Cache]:
    cache: Cache = InProcessCache(clock) if cache_url is None else RedisCache(cache_url)
    yield cache
    await cache.close()


@pytest.fixture
def elapse(cache_url: str | None, clock: FakeClock) -> Elapse:
    """Let time pass: instantly on the fake clock, for real on Redis."""

    async def elapse(seconds: float) -> None:
        if cache_url is None:
            clock.now += seconds
        else:
            await asyncio.sleep(seconds)

    return elapse
