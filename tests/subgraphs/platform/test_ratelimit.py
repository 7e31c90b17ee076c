"""Fixed-window limits, counted on the in-process cache and on Redis."""

from __future__ import annotations

import pytest

from subgraphs.platform.cache import Cache, InProcessCache
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


async def test_a_sliding_window_weighs_the_previous_window(cache: Cache) -> None:
    now = [1000.0]
    limiter = SlidingWindowLimiter(
        cache, limit=3, window_seconds=10, namespace="ip", clock=lambda: now[0]
    )
    assert [await limiter.take("10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert await limiter.take("10.0.0.2")

    now[0] = 1010.0  # a new fixed window, but the last 10 s still hold three attempts
    assert not await limiter.take("10.0.0.1")
    now[0] = 1015.0  # half of the previous window has slid out: 1.5 + 1 attempts
    assert [await limiter.take("10.0.0.1") for _ in range(2)] == [True, False]

    await limiter.give_back("10.0.0.1")
    assert await limiter.take("10.0.0.1")


async def test_fixed_window_take_counts_before_the_work(cache: Cache) -> None:
    limiter = FixedWindowLimiter(cache, limit=2, window_seconds=600)
    assert [await limiter.take("alice") for _ in range(3)] == [True, True, False]
