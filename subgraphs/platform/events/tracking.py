"""The tracking buffer: shoppers' events (views, searches, cart adds) go to the event log
in batches, never through a database or an outbox.

`offer` never waits: an event goes into a bounded in-memory buffer, or, when
the buffer is full (the log is down or slower than the shoppers), it is
dropped and counted, with a warning. A background task sends batches of up to
`batch_size` events whenever that many are waiting or `flush_seconds` have
passed. A batch the log refuses goes back to the front of the buffer and is
tried again after `retry_seconds`, so nothing is lost while it fits.

The loss bound: at most `capacity` events wait in memory; a process that dies
loses those, and while the log is unreachable every event beyond them is
dropped (counted in `dropped`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from subgraphs.platform.events.envelope import Event
from subgraphs.platform.resources import Platform
from subgraphs.platform.settings import Settings

log = logging.getLogger(__name__)

Publish = Callable[[Sequence[Event]], Awaitable[None]]


class Tracker:
    def __init__(
        self,
        publish: Publish,
        *,
        capacity: int,
        batch_size: int,
        flush_seconds: float,
        retry_seconds: float = 1.0,
    ) -> None:
        self._publish = publish
        self.capacity = capacity
        self._batch_size = batch_size
        self._flush_seconds = flush_seconds
        self._retry_seconds = retry_seconds
        self._buffer: deque[Event] = deque()
        self._full = asyncio.Event()
        self.dropped = 0
        self.sent = 0
        self._dropping = False

    @property
    def waiting(self) -> int:
        return len(self._buffer)

    def offer(self, event: Event) -> bool:
        """Buffer `event` for sending; False if it was dropped because the buffer is full."""
        if len(self._buffer) >= self.capacity:
            self._drop(1)
            return False
        self._dropping = False
        self._buffer.append(event)
        if len(self._buffer) >= self._batch_size:
            self._full.set()
        return True

    def _drop(self, count: int) -> None:
        self.dropped += count
        if not self._dropping:
            # Once per run of drops, not once per event: a flood must not flood the log too.
            self._dropping = True
            log.warning(
                "tracking buffer full (%d events): dropping events, %d dropped so far",
                self.capacity,
                self.dropped,
            )

    async def flush_once(self) -> int:
        """Send one batch; returns its size. On failure the batch goes back and this raises."""
        batch = [self._buffer.popleft() for _ in range(min(self._batch_size, len(self._buffer)))]
        if not batch:
            return 0
        try:
            await self._publish(batch)
        except BaseException:
            self._buffer.extendleft(reversed(batch))
            overflow = len(self._buffer) - self.capacity
            for _ in range(max(overflow, 0)):
                self._buffer.pop()  # the newest go: the buffer holds at most `capacity`
            if overflow > 0:
                self._drop(overflow)
            raise
        self.sent += len(batch)
        return len(batch)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.flush_once()
            except Exception:
                log.warning("sending tracking events failed; retrying", exc_info=True)
                await _wait(stop, self._retry_seconds)
                continue
            if len(self._buffer) >= self._batch_size:
                continue
            self._full.clear()
            await _wait(stop, self._flush_seconds, self._full)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Tracker]:
        stop = asyncio.Event()
        task = asyncio.create_task(self.run(stop), name="tracking-flush")
        try:
            yield self
        finally:
            stop.set()
            await task
            try:
                while await self.flush_once():  # a clean stop sends what is left
                    pass
            except Exception:
                log.warning("%d tracking events lost at shutdown", len(self._buffer), exc_info=True)


async def _wait(stop: asyncio.Event, seconds: float, *others: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in (stop, *others)]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _declared_first(platform: Platform) -> Publish:
    """Publishing to the bus once every consumer group exists: the log keeps events for
    groups to come, a queue bus only for those declared."""

    async def publish(events: Sequence[Event]) -> None:
        await platform.declarations.ensure()
        await platform.bus.publish(events)

    return publish


def create_tracker(platform: Platform) -> Tracker:
    """A tracker that sends to the Kafka log when there is one, else to the process's bus."""
    settings: Settings = platform.settings
    publish = platform.log.publish if platform.log is not None else _declared_first(platform)
    return Tracker(
        publish,
        capacity=settings.tracking_buffer_size,
        batch_size=settings.tracking_batch_size,
        flush_seconds=settings.tracking_flush_seconds,
    )
