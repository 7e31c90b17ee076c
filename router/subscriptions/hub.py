"""The router's subscriptions: shared upstreams, subscribers, connection limits.

`SubscriptionHub` is what the transports (WebSocket, SSE, multipart) talk to.
It owns one pooled aiohttp session for every upstream socket, deduplicates
upstreams by operation key (`Broadcast`), bounds each subscriber's buffer,
ends a subscription when the caller's token expires, and counts what is open:
`active` (subscribers) and `connections` are the hooks for metrics.

A subscription runs on the gateway it was planned on, which it holds open
(`LiveGateway.acquire`) while a hot reload serves new requests from the next
one; when that gateway's drain time runs out, the subscriptions still on it
end with `SchemaReloaded`. `go_away` ends every connection at shutdown (1001).
"""

from __future__ import annotations

import asyncio
import logging
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
from router.reload import LiveGateway
from router.subscriptions.buffer import ClientBuffer
from router.subscriptions.credentials import token_expiry
from router.subscriptions.endings import (
    SchemaReloaded,
    ShuttingDown,
    SubscriptionEnded,
    TokenExpired,
    TooManyConnections,
)
from router.subscriptions.fanout import Broadcast
from router.subscriptions.operation import (
    SubscriptionOperation,
    prepare_subscription,
    run_event,
)
from router.subscriptions.upstream import UpstreamSubscription

log = logging.getLogger(__name__)

HEARTBEAT: dict[str, Any] = {}  # yielded by `responses` when nothing happened for a while
Ending = Callable[[SubscriptionEnded], None]  # ends one client connection for a reason


class SubscriptionHub:
    def __init__(self, live: LiveGateway) -> None:
        self.live = live
        self.config = live.config
        self.connections = 0
        # (gateway, operation key) -> its broadcast: no sharing across a reload.
        self._broadcasts: dict[tuple[Gateway, Hashable], Broadcast] = {}
        self._endings: set[Ending] = set()
        self._all_closed = asyncio.Event()
        self._all_closed.set()
        self._session: aiohttp.ClientSession | None = None
        self._closing = False
        live.retiring.append(self.end_planned_on)

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
            # Shared by every caller, so it keeps no cookie (see SubgraphClient.start).
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.DummyCookieJar()
            )
            self._closing = False

    async def go_away(self, wait_seconds: float) -> None:
        """Tell every client connection the router is going (1001 / an error event), and
        wait up to `wait_seconds` for them to close. Nothing new is accepted after."""
        self._closing = True
        for ending in list(self._endings):
            ending(ShuttingDown())
        for broadcast in list(self._broadcasts.values()):
            broadcast.stop(ShuttingDown())
        try:
            await asyncio.wait_for(self._all_closed.wait(), wait_seconds)
        except TimeoutError:
            log.warning("%d subscription connections did not close in time", self.connections)

    def end_planned_on(self, gateway: Gateway) -> None:
        """End the subscriptions running on `gateway` (replaced, about to close)."""
        for (planned_on, _), broadcast in list(self._broadcasts.items()):
            if planned_on is gateway:
                broadcast.stop(SchemaReloaded())

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
    def connection(self, ending: Ending | None = None) -> Iterator[None]:
        """Counts one client connection; TooManyConnections past the configured maximum.

        `ending` is called when the router ends the connection as a whole (shutdown).
        """
        if self._closing:
            raise ShuttingDown
        limit = self.config.max_subscription_connections
        if self.connections >= limit:
            raise TooManyConnections(limit)
        self.connections += 1
        self._all_closed.clear()
        if ending is not None:
            self._endings.add(ending)
        try:
            yield
        finally:
            self.connections -= 1
            if ending is not None:
                self._endings.discard(ending)
            if self.connections == 0:
                self._all_closed.set()

    async def prepare(
        self, request: GraphQLRequest, headers: Mapping[str, str]
    ) -> SubscriptionOperation:
        return await prepare_subscription(self.live.current, request, headers)

    async def responses(
        self,
        operation: SubscriptionOperation,
        credentials: Mapping[str, str],
        heartbeat: float | None = None,
        overflowed: Ending | None = None,
    ) -> AsyncGenerator[dict[str, Any]]:
        """The client's responses (HEARTBEAT after `heartbeat` idle seconds) until completed.

        `overflowed` is called as soon as the client falls `subscription_buffer_size`
        responses behind (`SlowClient`), even while the transport is stuck sending.

        Raises the `SubscriptionEnded` that ended it otherwise: TokenExpired
        when the caller's token runs out, UpstreamClosed, SlowClient, ShuttingDown,
        SchemaReloaded.
        """
        if self._closing:
            raise ShuttingDown
        if operation.gateway is not self.live.current:
            raise SchemaReloaded  # planned on a supergraph replaced since
        expires_at = token_expiry(credentials)
        buffer = ClientBuffer(self.config.subscription_buffer_size, overflowed)
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
        key = (operation.gateway, operation.key)
        broadcast = self._broadcasts.get(key)
        if broadcast is None:
            if self._session is None:
                raise ShuttingDown
            # `responses` saw that the operation's gateway is current: that one is held
            # open until the broadcast is idle.
            gateway = self.live.acquire()
            broadcast = Broadcast(
                key,
                self._upstream(operation, self._session),
                self._respond(operation),
                lambda _: self._idle(key, gateway),
            )
            self._broadcasts[key] = broadcast
        return broadcast

    @staticmethod
    def _upstream(operation: SubscriptionOperation, session: aiohttp.ClientSession) -> Any:
        client = operation.gateway.clients[operation.root.service]

        def events() -> AsyncIterator[dict[str, Any]]:
            upstream = UpstreamSubscription(
                session,
                operation.root.service,
                client.url,
                operation.root.operation,
                operation.root_variables,
                operation.upstream_headers,
            )
            return upstream.events()

        return events

    @staticmethod
    def _respond(operation: SubscriptionOperation) -> Any:
        gateway = operation.gateway
        executor, schema = gateway.executor, gateway.supergraph.api_schema

        async def respond(payload: dict[str, Any]) -> dict[str, Any]:
            return await run_event(executor, schema, operation, payload)

        return respond

    def _idle(self, key: tuple[Gateway, Hashable], gateway: Gateway) -> None:
        if self._broadcasts.pop(key, None) is not None:  # a broadcast may stop twice
            self.live.release(gateway)
