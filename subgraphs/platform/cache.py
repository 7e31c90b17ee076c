"""The key/value cache with expiry that holds sessions and rate-limit counters.

`Cache` is the port. `InProcessCache` serves `shopgraph dev` (one process, so
a dict is shared state enough); `RedisCache` serves deployments with several
processes. The in-process one copies Redis semantics wherever code could
notice the difference: a plain `set` clears an earlier expiry and counters
read back as decimal bytes. (Carts keep their own Redis hashes: `commerce.cart_store`.)
"""

from __future__ import annotations

import time
import uuid
from collections import deque
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

    async def take_in_sliding_window(
        self, key: str, limit: int, window_seconds: int, now: float
    ) -> bool:
        """Record one attempt at `now` unless `limit` attempts are recorded in the
        `window_seconds` before it, in one atomic step; whether it was recorded.

        An attempt counts while `now - at < window_seconds`. Refused attempts
        are not recorded, so a client that keeps knocking is let back in as its
        old attempts age out. `now` is wall-clock time, which replicas share.
        """

    async def give_back_in_sliding_window(self, key: str) -> None:
        """Forget the latest attempt recorded under `key`, if any."""

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


def _require_positive(name: str, seconds: int) -> None:
    # Redis rejects EX 0 and treats a negative EXPIRE as "delete now"; refusing
    # both here keeps the two implementations from drifting apart on edge cases.
    if seconds <= 0:
        raise ValueError(f"{name} must be positive, got {seconds}")


# Fewer writes between sweeps than this would make small caches sweep constantly.
_MIN_SWEEP_INTERVAL = 1024


# One Lua call, so racing attempts cannot all see room under the limit: drop the
# attempts older than the window, count the rest, record this one if there is room.
_TAKE_IN_SLIDING_WINDOW = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
    return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return 1
"""


@dataclass
class _Attempts:
    """One key's attempts in its sliding window, oldest first."""

    window_seconds: int
    times: deque[float]

    def prune(self, now: float) -> None:
        while self.times and self.times[0] <= now - self.window_seconds:
            self.times.popleft()


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
        self._attempts: dict[str, _Attempts] = {}
        self._attempts_sweep_at = _MIN_SWEEP_INTERVAL

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

    async def take_in_sliding_window(
        self, key: str, limit: int, window_seconds: int, now: float
    ) -> bool:
        _require_positive("window_seconds", window_seconds)
        # No await from the count to the record: on one event loop this is atomic.
        attempts = self._attempts.setdefault(key, _Attempts(window_seconds, deque()))
        attempts.window_seconds = window_seconds
        attempts.prune(now)
        if len(attempts.times) >= limit:
            return False
        attempts.times.append(now)
        if len(self._attempts) >= self._attempts_sweep_at:
            self._sweep_attempts(now)
        return True

    async def give_back_in_sliding_window(self, key: str) -> None:
        attempts = self._attempts.get(key)
        if attempts is not None and attempts.times:
            attempts.times.pop()

    async def ping(self) -> None:
        return None

    def _sweep_attempts(self, now: float) -> None:
        # Keys of addresses seen once would pile up: drop the empty ones when the
        # map has doubled since the last sweep (amortised O(1) per attempt).
        for attempts in self._attempts.values():
            attempts.prune(now)
        self._attempts = {k: a for k, a in self._attempts.items() if a.times}
        self._attempts_sweep_at = max(2 * len(self._attempts), _MIN_SWEEP_INTERVAL)

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
        self._take_in_sliding_window = self._client.register_script(_TAKE_IN_SLIDING_WINDOW)

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

    async def take_in_sliding_window(
        self, key: str, limit: int, window_seconds: int, now: float
    ) -> bool:
        _require_positive("window_seconds", window_seconds)
        # Racing attempts at the same instant are distinct members of the set.
        member = f"{now!r}:{uuid.uuid4().hex}"
        taken = await self._take_in_sliding_window(
            keys=[self._key(key)], args=[repr(now), window_seconds, limit, member]
        )
        return bool(taken)

    async def give_back_in_sliding_window(self, key: str) -> None:
        await self._client.zpopmax(self._key(key))

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
