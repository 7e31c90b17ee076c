"""Fixed-window rate limits, such as login throttling, counted in the shared `Cache`.

A window opens at a key's first hit and lasts `window_seconds`; once `limit`
hits are recorded in it the key is limited until the window passes. Later hits
never extend the window, so a client that keeps trying is still let back in
on time. Counting in the cache lets every replica share one count.
"""

from __future__ import annotations

from subgraphs.platform.cache import Cache


class FixedWindowLimiter:
    """At most `limit` hits per key per window.

    Limiters that share a cache need distinct namespaces (e.g. "login-email",
    "login-ip"), or their counts for the same key would add up.
    """

    def __init__(
        self, cache: Cache, limit: int, window_seconds: int, *, namespace: str = "ratelimit"
    ) -> None:
        if limit <= 0:
            raise ValueError(f"limit must be positive, got {limit}")
        if window_seconds <= 0:
            raise ValueError(f"window_seconds must be positive, got {window_seconds}")
        self.limit = limit
        self.window_seconds = window_seconds
        self._cache = cache
        self._namespace = namespace

    async def is_limited(self, key: str) -> bool:
        """Whether `limit` hits have been recorded for `key` in its current window."""
        count = await self._cache.get(self._key(key))
        return count is not None and int(count) >= self.limit

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
