"""Rate limits, such as login throttling, counted in the shared `Cache`.

`FixedWindowLimiter`: a window opens at a key's first hit and lasts `window_seconds`; once `limit`
hits are recorded in it the key is limited until the window passes. Later hits
never extend the window, so a client that keeps trying is still let back in
on time. `SlidingWindowLimiter` counts the attempts of the last
`window_seconds` whenever it is asked, so a burst at a window's edge cannot
get twice the limit through. Counting in the cache lets every replica
share one count.

Both take a hit *before* the work they guard (`take`): the count comes back
from one atomic cache call, so however many requests race, at most `limit` of
them are let through. Checking first and counting after the work lets every
racer through the check.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from subgraphs.platform.cache import Cache


class FixedWindowLimiter:
    """At most `limit` hits per key per window.

    Limiters that share a cache need distinct namespaces (e.g. "login-email",
    "login-ip"), or their counts for the same key would add up.
    """

    def __init__(
        self, cache: Cache, limit: int, window_seconds: int, *, namespace: str = "ratelimit"
    ) -> None:
        _require_positive(limit, window_seconds)
        self.limit = limit
        self.window_seconds = window_seconds
        self._cache = cache
        self._namespace = namespace

    async def is_limited(self, key: str) -> bool:
        """Whether `limit` hits have been recorded for `key` in its current window."""
        count = await self._cache.get(self._key(key))
        return count is not None and int(count) >= self.limit

    async def take(self, key: str) -> bool:
        """Count one attempt now; whether it is within the limit (False: refuse it)."""
        return await self.hit(key) <= self.limit

    async def hit(self, key: str) -> int:
        """Record one hit (e.g. a failed login) and return the hits in the window so far."""
        return await self._cache.incr_in_window(self._key(key), self.window_seconds)

    async def reset(self, key: str) -> None:
        """Forget `key`'s hits, e.g. after a successful login."""
        await self._cache.delete(self._key(key))

    async def retry_after(self, key: str) -> float:
        """Seconds until `key`'s current window passes; 0.0 when no window is open."""
        remaining = await self._cache.ttl(self._key(key))
        return 0.0 if remaining is None else max(remaining, 0.0)

    def _key(self, key: str) -> str:
        return f"{self._namespace}:{key}"


class SlidingWindowLimiter:
    """At most `limit` attempts per key in any `window_seconds`.

    Each attempt is recorded with its time, and one atomic cache call drops the
    aged ones, counts the rest and records the new one (a Redis sorted set
    through one Lua script): bursts at a fixed window's edge cannot get twice
    the limit through, and racing attempts never pass together. Refused
    attempts are not recorded, so a client that keeps knocking while limited
    is let back in as its old attempts age out.
    """

    def __init__(
        self,
        cache: Cache,
        limit: int,
        window_seconds: int,
        *,
        namespace: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        _require_positive(limit, window_seconds)
        self.limit = limit
        self.window_seconds = window_seconds
        self._cache = cache
        self._namespace = namespace
        # Wall-clock time: replicas must agree on when an attempt ages out.
        self._clock = clock

    async def take(self, key: str) -> bool:
        """Count one attempt now; whether it is within the limit (False: refuse it)."""
        return await self._cache.take_in_sliding_window(
            self._key(key), self.limit, self.window_seconds, self._clock()
        )

    async def give_back(self, key: str) -> None:
        """Un-count the latest attempt, e.g. one that turned out legitimate."""
        await self._cache.give_back_in_sliding_window(self._key(key))

    def _key(self, key: str) -> str:
        return f"{self._namespace}:{key}"


def _require_positive(limit: int, window_seconds: int) -> None:
    if limit <= 0:
        raise ValueError(f"limit must be positive, got {limit}")
    if window_seconds <= 0:
        raise ValueError(f"window_seconds must be positive, got {window_seconds}")
