"""One upstream subscription shared by every subscriber with the same operation key.

A `Broadcast` runs its upstream in one task: each event goes through the rest
of the plan once and the shaped response is put into every subscriber's
buffer. A subscriber who joins late first gets the latest response (the
subscription's "state now"). The last subscriber to leave closes the upstream;
an upstream that ends ends every subscriber, with an error when it died.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Any

from router.subscriptions.buffer import ClientBuffer
from router.subscriptions.endings import SubscriptionEnded, UpstreamClosed

log = logging.getLogger(__name__)

Events = Callable[[], AsyncIterator[dict[str, Any]]]
Respond = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class Broadcast:
    def __init__(
        self, key: Hashable, events: Events, respond: Respond, on_idle: Callable[[Hashable], None]
    ) -> None:
        self.key = key
        self._events = events
        self._respond = respond
        self._on_idle = on_idle
        self.subscribers: set[ClientBuffer] = set()
        self._latest: dict[str, Any] | None = None
        self._task: asyncio.Task[None] | None = None

    def join(self, buffer: ClientBuffer) -> None:
        self.subscribers.add(buffer)
        if self._latest is not None:
            buffer.put(self._latest)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"subscription {self.key!r:.80}")

    def leave(self, buffer: ClientBuffer) -> None:
        self.subscribers.discard(buffer)
        if not self.subscribers:
            self.stop()

    def stop(self, ending: SubscriptionEnded | None = None) -> None:
        """Ends every subscriber (with `ending`, or completed) and the upstream."""
        for buffer in self.subscribers:
            buffer.end(ending)
        self.subscribers.clear()
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        self._on_idle(self.key)

    async def _run(self) -> None:
        ending: SubscriptionEnded | None = None
        try:
            async for payload in self._events():
                response = await self._respond(payload)
                self._latest = response
                for buffer in list(self.subscribers):
                    buffer.put(response)
                # Subscribers take it before the next event: a burst the upstream socket
                # had already received must not overrun, in one go, readers that keep up.
                await asyncio.sleep(0)
        except SubscriptionEnded as error:
            ending = error
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("subscription %r failed", self.key)
            ending = UpstreamClosed("The subscription failed in the router.")
        self.stop(ending)
