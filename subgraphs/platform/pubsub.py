"""Fire-and-forget publish/subscribe that feeds GraphQL subscriptions such as `orderStatusChanged`.

`PubSub` is the port. A message reaches whoever is subscribed at the moment it
is published and nobody else: there is no history and no redelivery (durable
events go through the outbox and the bus, not here). `InProcessPubSub` serves
`shopgraph dev`; `RedisPubSub` serves deployments where the process that
publishes is not the one holding the subscriber's WebSocket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import redis.asyncio as redis

from subgraphs.platform.settings import Settings

# How long to wait for Redis to confirm a SUBSCRIBE or UNSUBSCRIBE before giving up.
CONFIRM_TIMEOUT_SECONDS = 5.0


class PubSub(Protocol):
    async def publish(self, channel: str, message: bytes) -> None: ...

    async def publish_all(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """`publish` of each (channel, message), in order, in one go where the backend can."""

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Listen on `channel` while the context is open.

        The subscription is in place once the context is entered, so a message
        published after that is never missed. On exit it is removed and the
        iterator ends. Iterate it from the task that entered the context.
        """

    async def close(self) -> None:
        """Release the backend; exit open subscriptions first."""


class _QueueMessages:
    """The iterator of one in-process subscription; a `None` in its queue ends it."""

    def __init__(self) -> None:
        # Unbounded: a subscriber that stops reading must leave the context, and
        # a bound would force publish to choose between blocking and dropping.
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._ended = False

    def __aiter__(self) -> _QueueMessages:
        return self

    async def __anext__(self) -> bytes:
        if not self._ended:
            message = await self._queue.get()
            if message is not None and not self._ended:
                return message
        self._ended = True
        raise StopAsyncIteration

    def deliver(self, message: bytes) -> None:
        self._queue.put_nowait(message)

    def end(self) -> None:
        self._ended = True
        # Wakes a reader still waiting in another task.
        self._queue.put_nowait(None)


class InProcessPubSub:
    """A `PubSub` inside one process: one queue per subscription."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, set[_QueueMessages]] = {}
        self._closed = False

    async def publish(self, channel: str, message: bytes) -> None:
        self._check_open()
        for subscription in self._subscriptions.get(channel, ()):
            subscription.deliver(message)

    async def publish_all(self, messages: Sequence[tuple[str, bytes]]) -> None:
        for channel, message in messages:
            await self.publish(channel, message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
        self._check_open()
        subscription = _QueueMessages()
        self._subscriptions.setdefault(channel, set()).add(subscription)
        try:
            yield subscription
        finally:
            self._remove(channel, subscription)

    async def subscriber_count(self, channel: str) -> int:
        """How many subscriptions listen on `channel`."""
        return len(self._subscriptions.get(channel, ()))

    async def close(self) -> None:
        self._closed = True
        for channel, subscriptions in list(self._subscriptions.items()):
            for subscription in list(subscriptions):
                self._remove(channel, subscription)

    def _remove(self, channel: str, subscription: _QueueMessages) -> None:
        subscription.end()
        subscriptions = self._subscriptions.get(channel)
        if subscriptions is None:
            return
        subscriptions.discard(subscription)
        if not subscriptions:
            del self._subscriptions[channel]

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this PubSub is closed")


class _RedisMessages:
    """The iterator of one Redis subscription; it ends when the subscription is left."""

    def __init__(self, pubsub: redis.client.PubSub) -> None:
        self._pubsub = pubsub
        self._ended = False

    def __aiter__(self) -> _RedisMessages:
        return self

    async def __anext__(self) -> bytes:
        while not self._ended:
            message = await self._pubsub.get_message(timeout=None)
            # Anything else on the connection is a (un)subscribe confirmation.
            if message is not None and message["type"] == "message":
                return bytes(message["data"])
        raise StopAsyncIteration

    def end(self) -> None:
        self._ended = True


class RedisPubSub:
    """A `PubSub` on Redis. Each subscription holds its own connection.

    Redis channels are shared by all databases of a server, so channel names
    are stored under `prefix` to keep apps that share a server apart.
    """

    def __init__(self, redis_: redis.Redis | str, prefix: str = "shopgraph:") -> None:
        """On the process's shared client (not closed here), or a URL of its own."""
        # from_url connects lazily: building the pub/sub does no network I/O.
        self._owned = isinstance(redis_, str)
        self._client = redis.Redis.from_url(redis_) if isinstance(redis_, str) else redis_
        self._prefix = prefix

    async def publish(self, channel: str, message: bytes) -> None:
        await self._client.publish(self._prefix + channel, message)

    async def publish_all(self, messages: Sequence[tuple[str, bytes]]) -> None:
        # One round trip for a batch (a worker's orders moved together), where a
        # PUBLISH each took one apiece. Not a transaction: nothing needs MULTI here.
        if len(messages) < 2:
            for channel, message in messages:
                await self.publish(channel, message)
            return
        async with self._client.pipeline(transaction=False) as pipeline:
            for channel, message in messages:
                pipeline.publish(self._prefix + channel, message)
            await pipeline.execute()

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
        name = self._prefix + channel
        pubsub = self._client.pubsub()
        try:
            await pubsub.subscribe(name)
            # redis-py sends SUBSCRIBE without reading the reply; until the
            # server confirms it, a PUBLISH from another connection could pass it.
            await _confirmation(pubsub, "subscribe")
            messages = _RedisMessages(pubsub)
            try:
                yield messages
            finally:
                messages.end()
                # Confirmed, so a publish right after exit is known to reach no one
                # here; merely dropping the connection would leave that racing.
                await pubsub.unsubscribe(name)
                await _confirmation(pubsub, "unsubscribe")
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated

    async def subscriber_count(self, channel: str) -> int:
        """How many subscriptions, across every process on this server, listen on `channel`."""
        counts = await self._client.pubsub_numsub(self._prefix + channel)
        return sum(int(count) for _, count in counts)

    async def close(self) -> None:
        if self._owned:
            await self._client.aclose()


async def _confirmation(pubsub: redis.client.PubSub, kind: str) -> None:
    """Read replies until the server confirms `kind`; messages read on the way are dropped."""
    async with asyncio.timeout(CONFIRM_TIMEOUT_SECONDS):
        while True:
            reply = await pubsub.get_message(timeout=None)
            if reply is not None and reply["type"] == kind:
                return


def create_pubsub(settings: Settings, client: redis.Redis | None = None) -> PubSub:
    """The configured pub/sub, on `client` (the process's one Redis pool) when given.
    Every call builds a new one: create it once per app lifespan."""
    if settings.redis_url is None:
        return InProcessPubSub()
    return RedisPubSub(client if client is not None else settings.redis_url)
