"""Fixed-window limits, counted on the in-process cache and on Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from subgraphs.platform.cache import Cache, InProcessCache, RedisCache
from subgraphs.platform.ratelimit import FixedWindowLimiter

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


async def test_a_key_is_limited_after_limit_hits_until_the_window_passes(
    cache: Cache, elapse: Elapse
) -> None:
    limiter = FixedWindowLimiter(cache, limit=3, window_seconds=1)
    email = "alice@example.com"
    seen = []
    for _ in range(3):
        seen.append((await limiter.is_limited(email), await limiter.hit(email)))

    assert seen == [(False, 1), (False, 2), (False, 3)]
    assert await limiter.is_limited(email)
    assert not await limiter.is_limited("bob@example.com")
    assert 0 < await limiter.retry_after(email) <= 1
    assert await limiter.hit(email) == 4  # attempts while limited still count, in the same window

    await elapse(1.1)

    assert not await limiter.is_limited(email)
    assert await limiter.retry_after(email) == 0.0
    assert await limiter.hit(email) == 1


async def test_reset_forgets_the_hits(cache: Cache) -> None:
    limiter = FixedWindowLimiter(cache, limit=2, window_seconds=600)
    await limiter.hit("alice@example.com")
    await limiter.hit("alice@example.com")

    await limiter.reset("alice@example.com")

    assert not await limiter.is_limited("alice@example.com")
    assert await limiter.retry_after("alice@example.com") == 0.0
    assert await limiter.hit("alice@example.com") == 1


async def test_namespaces_keep_limiters_apart(cache: Cache) -> None:
    by_email = FixedWindowLimiter(cache, limit=1, window_seconds=600, namespace="login-email")
    by_ip = FixedWindowLimiter(cache, limit=1, window_seconds=600, namespace="login-ip")

    await by_email.hit("10.0.0.1")

    assert (await by_email.is_limited("10.0.0.1"), await by_ip.is_limited("10.0.0.1")) == (
        True,
        False,
    )


@pytest.mark.parametrize(("limit", "window", "message"), [(0, 60, "limit"), (5, 0, "window")])
def test_limits_and_windows_must_be_positive(limit: int, window: int, message: str) -> None:
    with pytest.raises(ValueError, match=f"{message}.* must be positive"):
        FixedWindowLimiter(InProcessCache(), limit=limit, window_seconds=window)
