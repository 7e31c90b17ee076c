"""Automatic persisted queries (Apollo's APQ protocol): documents sent once, then by hash.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without
the query; the router looks the hash up. Unknown: `PERSISTED_QUERY_NOT_FOUND`
(HTTP 200, as Apollo answers), and the client sends hash and query together,
which the router checks and stores. Short GET URLs then make queries cacheable
by CDNs. Documents live in a bounded in-memory LRU per process, or in Redis
to be shared by every worker and replica.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Protocol

from redis.asyncio import Redis

from router.operation.errors import RequestError, RequestFailure
from router.operation.lru import LruCache
from router.operation.request import GraphQLRequest
from router.telemetry import Telemetry

NOT_FOUND = "PersistedQueryNotFound"  # the message Apollo clients also recognise
REDIS_PREFIX = "shopgraph:router:apq:"


class PersistedQueryStore(Protocol):
    async def get(self, sha256: str) -> str | None: ...
    async def put(self, sha256: str, query: str) -> None: ...
    async def close(self) -> None: ...


class MemoryQueryStore:
    def __init__(self, max_size: int) -> None:
        self._documents: LruCache[str, str] = LruCache(max_size)

    async def get(self, sha256: str) -> str | None:
        return self._documents.get(sha256)

    async def put(self, sha256: str, query: str) -> None:
        self._documents.put(sha256, query)

    async def close(self) -> None:
        self._documents.clear()


class RedisQueryStore:
    """Documents in Redis with a TTL, so unused ones leave without a size limit to tune."""

    def __init__(self, url: str, ttl_seconds: int) -> None:
        self._redis: Redis = Redis.from_url(url)
        self._ttl = ttl_seconds

    async def get(self, sha256: str) -> str | None:
        found = await self._redis.get(REDIS_PREFIX + sha256)
        return found.decode() if isinstance(found, bytes) else found

    async def put(self, sha256: str, query: str) -> None:
        await self._redis.set(REDIS_PREFIX + sha256, query.encode(), ex=self._ttl)

    async def close(self) -> None:
        await self._redis.aclose()


class PersistedQueries:
    def __init__(self, store: PersistedQueryStore, telemetry: Telemetry | None = None) -> None:
        self.store = store
        self.telemetry = telemetry or Telemetry()

    @classmethod
    def stored(
        cls, redis_url: str | None, cache_size: int, ttl_seconds: int, telemetry: Telemetry
    ) -> PersistedQueries:
        """In Redis when a URL is given, else in this process's memory."""
        if redis_url is None:
            return cls(MemoryQueryStore(cache_size), telemetry)
        return cls(RedisQueryStore(redis_url, ttl_seconds), telemetry)

    async def resolve(self, request: GraphQLRequest) -> GraphQLRequest:
        """`request` with its document; RequestError when the hash is unknown or wrong."""
        persisted = (request.extensions or {}).get("persistedQuery")
        if persisted is None:
            return request
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise RequestError.single(
                RequestFailure.MALFORMED,
                "Only version 1 of persisted queries is supported.",
                "PERSISTED_QUERY_VERSION_NOT_SUPPORTED",
            )
        sha256 = persisted.get("sha256Hash")
        if not isinstance(sha256, str):
            raise RequestError.single(
                RequestFailure.MALFORMED, "persistedQuery needs sha256Hash, a string."
            )
        if request.query:
            if hashlib.sha256(request.query.encode()).hexdigest() != sha256.lower():
                raise RequestError.single(
                    RequestFailure.MALFORMED,
                    "provided sha does not match query",
                    "PERSISTED_QUERY_HASH_MISMATCH",
                )
            await self.store.put(sha256.lower(), request.query)
            return request
        query = await self.store.get(sha256.lower())
        self.telemetry.cache("apq", query is not None)
        if query is None:
            raise RequestError.single(RequestFailure.PERSISTED_QUERY_NOT_FOUND, NOT_FOUND)
        return dataclasses.replace(request, query=query)
