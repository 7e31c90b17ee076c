"""The router's subscriptions: shared upstreams, subscribers, connection limits.

`SubscriptionHub` is what the transports (WebSocket, SSE, multipart) talk to.
It owns one pooled aiohttp session for every upstream socket, deduplicates
upstreams by operation key (`Broadcast`), bounds each subscriber's buffer,
ends a subscription when the caller's token expires, and counts what is open:
`active` (subscribers) and `connections` are the hooks for metrics.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Hashable,
    Iterator,
    Mapping,
)
from contextlib import contextmanager
from typing import Any

import aiohttp

from router.gateway import Gateway
from router.operation import GraphQLRequest
from router.subscriptions.buffer import ClientBuffer
from router.subscriptions.credentials import token_expiry
from router.subscriptions.endings import ShuttingDown, TokenExpired, TooManyConnections
from router.subscriptions.fanout import Broadcast
from router.subscriptions.operation import (
    SubscriptionOperation,
    prepare_subscription,
    run_event,
)
from router.subscriptions.upstream import UpstreamSubscription

HEARTBEAT: dict[str, Any] = {}  # yielded by `responses` when nothing happened for a while


class SubscriptionHub:
    def __init__(self, current: Callable[[], Gateway]) -> None:
        # The gateway serving now: a hot reload swaps it. A subscription keeps the
        # gateway it was planned on for the rest of its events.
        self._current = current
        self.config = current().config
        self.connections = 0
        self._broadcasts: dict[Hashable, Broadcast] = {}
        self._session: aiohttp.ClientSession | None = None
        self._closing = False

    @property
    def active(self) -> int:
        """Subscriptions being served right now (the active-subscriptions gauge)."""
        return sum(len(broadcast.subscribers) for broadcast in self._broadcasts.values())

    @property
    def upstreams(self) -> int:
        """Upstream subscriptions open at the subgraphs (fewer than `active` when shared)."""
        return len(self._broadcasts)

    async def start(self) -> None:
        if self._session is None:
            # No per-host limit: every upstream subscription holds its socket for long.
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
            self._closing = False

    async def close(self) -> None:
        self._closing = True
        for broadcast in list(self._broadcasts.values()):
            broadcast.stop(ShuttingDown())
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def full(self) -> bool:
        return self.connections >= self.config.max_subscription_connections

    @contextmanager
    def connection(self) -> Iterator[None]:
        """Counts one client connection; TooManyConnections past the configured maximum."""
        if self._closing:
            raise ShuttingDown
        limit = self.config.max_subscription_connections
        if self.connections >= limit:
            raise TooManyConnections(limit)
        self.connections += 1
        try:
            yield
        finally:
            self.connections -= 1

    async def prepare(
        self, request: GraphQLRequest, headers: Mapping[str, str]
    ) -> SubscriptionOperation:
        return await prepare_subscription(self._current(), request, headers)

    async def responses(
        self,
        operation: SubscriptionOperation,
        credentials: Mapping[str, str],
        heartbeat: float | None = None,
    ) -> AsyncGenerator[dict[str, Any]]:
        """The client's responses (HEARTBEAT after `heartbeat` idle seconds) until completed.

        Raises the `SubscriptionEnded` that ended it otherwise: TokenExpired
        when the caller's token runs out, UpstreamClosed, SlowClient, ShuttingDown.
        """
        if self._closing:
            raise ShuttingDown
        expires_at = token_expiry(credentials)
        buffer = ClientBuffer(self.config.subscription_buffer_size)
        broadcast = self._broadcast(operation)
        broadcast.join(buffer)
        try:
            while True:
                wait = heartbeat
                if expires_at is not None:
                    left = expires_at - time.time()
                    if left <= 0:
                        raise TokenExpired
                    wait = left if wait is None else min(wait, left)
                try:
                    async with asyncio.timeout(wait):
                        response = await buffer.get()
                except TimeoutError:
                    if expires_at is not None and expires_at <= time.time():
                        raise TokenExpired from None
                    yield HEARTBEAT
                    continue
                if response is None:
                    return
                yield response
        finally:
            broadcast.leave(buffer)

    def _broadcast(self, operation: SubscriptionOperation) -> Broadcast:
        key = operation.key
        broadcast = self._broadcasts.get(key)
        if broadcast is None:
            broadcast = Broadcast(
                key, self._upstream(operation), self._respond(operation), self._idle
            )
            self._broadcasts[key] = broadcast
        return broadcast

    def _upstream(self, operation: SubscriptionOperation) -> Any:
        gateway, session = self._current(), self._session
        if session is None:
            raise ShuttingDown
        client = gateway.clients[operation.root.service]

        def events() -> AsyncIterator[dict[str, Any]]:
            upstream = UpstreamSubscription(
                session,
                operation.root.service,
                client.url,
                operation.root.operation,
                operation.root_variables,
                operation.headers,
            )
            return upstream.events()

        return events

    def _respond(self, operation: SubscriptionOperation) -> Any:
        gateway = self._current()
        executor, schema = gateway.executor, gateway.supergraph.api_schema

        async def respond(payload: dict[str, Any]) -> dict[str, Any]:
            return await run_event(executor, schema, operation, payload)

        return respond

    def _idle(self, key: Hashable) -> None:
        self._broadcasts.pop(key, None)
