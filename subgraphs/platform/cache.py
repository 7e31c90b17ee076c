"""The key/value cache with expiry that holds sessions and rate-limit counters.

`Cache` is the port. `InProcessCache` serves `shopgraph dev` (one process, so
a dict is shared state enough); `RedisCache` serves deployments with several
processes. The in-process one copies Redis semantics wherever code could
notice the difference: a plain `set` clears an earlier expiry and counters
read back as decimal bytes. (Carts keep their own Redis hashes: `commerce.cart_store`.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as redis

from subgraphs.platform.settings import Settings


class Cache(Protocol):
    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_seconds: int | None = None) -> None:
        """Store `value`; without `ttl_seconds` the key never expires, whatever it had before."""

    async def delete(self, key: str) -> None: ...

    async def incr_in_window(self, key: str, window_seconds: int, amount: int = 1) -> int:
        """Add `amount` hits (one by default; -1 gives one back) and return the count.

        The first hit opens a fixed window: the counter expires `window_seconds`
        after it, however many hits follow. Concurrent callers never see the
        same count.
        """

    async def ttl(self, key: str) -> float | None:
        """Seconds until `key` expires; None when it is missing or never expires."""

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


def _require_positive(name: str, seconds: int) -> None:
    # Redis rejects EX 0 and treats a negative EXPIRE as "delete now"; refusing
    # both here keeps the two implementations from drifting apart on edge cases.
    if seconds <= 0:
        raise ValueError(f"{name} must be positive, got {seconds}")


# Fewer writes between sweeps than this would make small caches sweep constantly.
_MIN_SWEEP_INTERVAL = 1024


@dataclass
class _Entry:
    value: bytes
    expires_at: float | None = None

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class InProcessCache:
    """A `Cache` in this process's memory; `clock` is injectable so tests control time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._writes_since_sweep = 0
        self._sweep_after_writes = _MIN_SWEEP_INTERVAL

    async def get(self, key: str) -> bytes | None:
        return self._value(key)

    async def set(self, key: str, value: bytes, ttl_seconds: int | None = None) -> None:
        expires_at = None
        if ttl_seconds is not None:
            _require_positive("ttl_seconds", ttl_seconds)
            expires_at = self._clock() + ttl_seconds
        self._store(key, _Entry(value, expires_at))

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    async def incr_in_window(self, key: str, window_seconds: int, amount: int = 1) -> int:
        _require_positive("window_seconds", window_seconds)
        # No await between read and write: on one event loop this is atomic.
        current = self._value(key)
        if current is None:
            self._store(key, _Entry(b"%d" % amount, self._clock() + window_seconds))
            return amount
        count = int(current) + amount
        entry = self._entries[key]
        entry.value = b"%d" % count
        if entry.expires_at is None:
            entry.expires_at = self._clock() + window_seconds
        return count

    async def ttl(self, key: str) -> float | None:
        entry = self._live(key)
        if entry is None or entry.expires_at is None:
            return None
        return entry.expires_at - self._clock()

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _live(self, key: str) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and entry.expired(self._clock()):
            del self._entries[key]
            return None
        return entry

    def _value(self, key: str) -> bytes | None:
        entry = self._live(key)
        if entry is None:
            return None
        return entry.value

    def _store(self, key: str, entry: _Entry) -> None:
        self._entries[key] = entry
        # Expired keys are dropped when read, but keys nobody reads again (a
        # rate-limit counter per email tried once) would pile up. Sweeping after
        # as many writes as the last sweep left keys keeps its cost amortised O(1).
        self._writes_since_sweep += 1
        if self._writes_since_sweep >= self._sweep_after_writes:
            now = self._clock()
            for stale in [k for k, e in self._entries.items() if e.expired(now)]:
                del self._entries[stale]
            self._writes_since_sweep = 0
            self._sweep_after_writes = max(len(self._entries), _MIN_SWEEP_INTERVAL)


class RedisCache:
    """A `Cache` on Redis; every key is stored under `prefix` so apps can share a database."""

    def __init__(self, redis_: redis.Redis | str, prefix: str = "shopgraph:") -> None:
        """On the process's shared client (not closed here), or a URL of its own."""
        # from_url connects lazily: building the cache does no network I/O.
        self._owned = isinstance(redis_, str)
        self._client = redis.Redis.from_url(redis_) if isinstance(redis_, str) else redis_
        self._prefix = prefix

    async def get(self, key: str) -> bytes | None:
        value = await self._client.get(self._key(key))
        return None if value is None else _as_bytes(value)

    async def set(self, key: str, value: bytes, ttl_seconds: int | None = None) -> None:
        if ttl_seconds is not None:
            _require_positive("ttl_seconds", ttl_seconds)
        await self._client.set(self._key(key), value, ex=ttl_seconds)

    async def delete(self, key: str) -> None:
        await self._client.delete(self._key(key))

    async def incr_in_window(self, key: str, window_seconds: int, amount: int = 1) -> int:
        _require_positive("window_seconds", window_seconds)
        name = self._key(key)
        # MULTI/EXEC so no client can see the counter without its expiry; NX so
        # later hits never push the end of the window back.
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incrby(name, amount)
            pipe.expire(name, window_seconds, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def ttl(self, key: str) -> float | None:
        # PTTL answers -2 for a missing key and -1 for one without expiry.
        milliseconds = await self._client.pttl(self._key(key))
        return None if milliseconds < 0 else milliseconds / 1000

    async def ping(self) -> None:
        await self._client.ping()

    async def close(self) -> None:
        if self._owned:
            await self._client.aclose()

    def _key(self, key: str) -> str:
        return self._prefix + key


def _as_bytes(reply: bytes | str) -> bytes:
    # The client is built without decode_responses, so replies are bytes; the
    # str branch only satisfies redis-py's annotations, which cover both modes.
    return reply.encode() if isinstance(reply, str) else reply


def create_cache(settings: Settings, client: redis.Redis | None = None) -> Cache:
    """The configured cache, on `client` (the process's one Redis pool) when given.
    Every call builds a new one: create it once per app lifespan."""
    if settings.redis_url is None:
        return InProcessCache()
    return RedisCache(client if client is not None else settings.redis_url)
