"""The cache contract, run on the in-process cache and on Redis."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as redis

from subgraphs.platform.cache import Cache, InProcessCache, RedisCache, create_cache
from subgraphs.platform.settings import Settings
from tests.subgraphs.platform.conftest import Elapse, FakeClock


async def test_values_are_stored_replaced_and_deleted(cache: Cache) -> None:
    await cache.ping()
    assert await cache.get("session:1") is None

    await cache.set("session:1", b"alice\x00\xff")
    await cache.set("session:2", b"bob")
    assert await cache.get("session:1") == b"alice\x00\xff"

    await cache.set("session:1", b"carol")
    await cache.delete("session:1")
    await cache.delete("session:never")
    assert (await cache.get("session:1"), await cache.get("session:2")) == (None, b"bob")


async def test_keys_expire_after_their_ttl(cache: Cache, elapse: Elapse) -> None:
    await cache.set("short", b"1", ttl_seconds=1)
    await cache.set("forever", b"2")

    short_ttl = await cache.ttl("short")
    assert short_ttl is not None
    assert 0 < short_ttl <= 1
    assert (await cache.ttl("forever"), await cache.ttl("missing")) == (None, None)

    await elapse(1.1)

    assert await cache.get("short") is None
    assert await cache.get("forever") == b"2"
    assert (await cache.ttl("short"), await cache.get("missing")) == (None, None)


async def test_a_plain_set_clears_an_earlier_ttl(cache: Cache) -> None:
    await cache.set("token", b"old", ttl_seconds=100)
    await cache.set("token", b"new")

    assert (await cache.get("token"), await cache.ttl("token")) == (b"new", None)


async def test_incr_in_window_counts_atomically(cache: Cache) -> None:
    counts = await asyncio.gather(*(cache.incr_in_window("hits", 60) for _ in range(50)))

    assert sorted(counts) == list(range(1, 51))
    assert await cache.get("hits") == b"50"
    window_left = await cache.ttl("hits")
    assert window_left is not None
    assert 59 < window_left <= 60


async def test_the_window_is_fixed_at_the_first_hit(cache: Cache, elapse: Elapse) -> None:
    assert await cache.incr_in_window("hits", 1) == 1
    await elapse(0.5)
    assert await cache.incr_in_window("hits", 1) == 2

    await elapse(0.6)  # 1.1s after the first hit, 0.6s after the last one

    assert await cache.get("hits") is None
    assert await cache.incr_in_window("hits", 1) == 1


async def test_ttls_must_be_positive(cache: Cache) -> None:
    with pytest.raises(ValueError, match="ttl_seconds must be positive"):
        await cache.set("k", b"v", ttl_seconds=0)
    with pytest.raises(ValueError, match="window_seconds must be positive"):
        await cache.incr_in_window("k", -1)
    assert await cache.get("k") is None


async def test_redis_cache_keeps_its_keys_under_its_prefix(redis_url: str) -> None:
    mine, theirs = RedisCache(redis_url), RedisCache(redis_url, prefix="other:")
    raw = redis.Redis.from_url(redis_url)
    try:
        await mine.set("session:1", b"x")
        await mine.incr_in_window("hits:1", 60)

        assert await theirs.get("session:1") is None
        assert sorted(await raw.keys("*")) == [b"shopgraph:hits:1", b"shopgraph:session:1"]
    finally:
        await mine.close()
        await theirs.close()
        await raw.aclose()


async def test_settings_choose_the_cache() -> None:
    embedded = create_cache(Settings())
    remote = create_cache(Settings(redis_url="redis://127.0.0.1:6379/15"))

    assert (type(embedded), type(remote)) == (InProcessCache, RedisCache)
    await embedded.close()
    await remote.close()


async def test_in_process_cache_sweeps_expired_keys_nobody_reads_again() -> None:
    clock = FakeClock()
    cache = InProcessCache(clock)
    for n in range(20_000):
        await cache.incr_in_window(f"login:{n}@example.com", 600)
        clock.now += 0.1  # each counter outlives the next 6000 writes, then expires unread

    # Memory use is the point here, and the entry table is where it would grow.
    # About 6000 live counters plus up to as many expired since the last sweep;
    # without sweeping all 20 000 would still be there.
    assert len(cache._entries) < 13_000
    assert await cache.get("login:19999@example.com") == b"1"
