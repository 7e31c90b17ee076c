"""Fixed- and sliding-window limits, counted on the in-process cache and on Redis."""

from __future__ import annotations

import asyncio

import pytest

from subgraphs.platform.cache import Cache, InProcessCache, RedisCache
from subgraphs.platform.ratelimit import FixedWindowLimiter, SlidingWindowLimiter
from tests.subgraphs.platform.conftest import Elapse


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


async def test_a_sliding_window_counts_the_attempts_of_the_last_window(cache: Cache) -> None:
    now = [1000.0]
    limiter = SlidingWindowLimiter(
        cache, limit=3, window_seconds=10, namespace="ip", clock=lambda: now[0]
    )

    async def take_at(at: float) -> bool:
        now[0] = at
        return await limiter.take("10.0.0.1")

    assert [await take_at(at) for at in (1000.0, 1004.0, 1009.0, 1009.5)] == [
        True,
        True,
        True,
        False,
    ]
    assert await limiter.take("10.0.0.2")  # another address has its own window
    # A fixed window would reopen at 1010 with three attempts of 1004-1009 just behind it.
    assert await take_at(1009.999) is False
    assert await take_at(1010.0) is True  # the attempt of 1000.0 has just aged out
    assert await take_at(1013.999) is False  # 1004, 1009 and 1010 are inside
    assert await take_at(1014.0) is True  # 1004 has aged out; refused ones never counted
    assert await take_at(1014.0) is False

    await limiter.give_back("10.0.0.1")
    assert await take_at(1014.0) is True


async def test_racing_attempts_in_a_sliding_window_pass_at_most_the_limit(cache: Cache) -> None:
    limiter = SlidingWindowLimiter(
        cache, limit=5, window_seconds=60, namespace="ip", clock=lambda: 1000.0
    )

    taken = await asyncio.gather(*(limiter.take("10.0.0.1") for _ in range(40)))

    assert sorted(taken) == [False] * 35 + [True] * 5


@pytest.mark.redis
async def test_a_sliding_window_in_redis_expires_with_its_last_attempt(redis_url: str) -> None:
    cache = RedisCache(redis_url)
    limiter = SlidingWindowLimiter(cache, limit=1, window_seconds=30, namespace="ip")
    try:
        assert await limiter.take("10.0.0.1")
        assert not await limiter.take("10.0.0.1")
        # An address seen once leaves nothing behind once its window has passed.
        ttl = await cache.ttl("ip:10.0.0.1")
        assert ttl is not None
        assert 29 < ttl <= 30
    finally:
        await cache.close()


async def test_fixed_window_take_counts_before_the_work(cache: Cache) -> None:
    limiter = FixedWindowLimiter(cache, limit=2, window_seconds=600)
    assert [await limiter.take("alice") for _ in range(3)] == [True, True, False]
