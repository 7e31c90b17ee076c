"""What one subscriber has not read yet: a bounded queue of responses, then how it ended.

The producer never waits on a subscriber: `put` appends or, when `limit`
responses are already waiting, ends the subscription with `SlowClient` and
drops what was queued, so a client that stops reading costs at most `limit`
responses of memory. `overflowed` tells the transport at once: a client that
stopped reading also stopped the transport's sends, so the reader of this
buffer may be stuck in one and never see the ending.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from router.subscriptions.endings import SlowClient, SubscriptionEnded


class ClientBuffer:
    def __init__(
        self, limit: int, overflowed: Callable[[SubscriptionEnded], None] | None = None
    ) -> None:
        self.limit = limit
        self._overflowed = overflowed
        self._queue: deque[dict[str, Any]] = deque()
        self._changed = asyncio.Event()
        self._ended = False
        self._ending: SubscriptionEnded | None = None  # None once ended: completed

    @property
    def ended(self) -> bool:
        return self._ended

    def put(self, response: dict[str, Any]) -> None:
        if self._ended:
            return
        if len(self._queue) >= self.limit:
            self._queue.clear()
            ending = SlowClient(self.limit)
            self.end(ending)
            if self._overflowed is not None:
                self._overflowed(ending)
            return
        self._queue.append(response)
        self._changed.set()

    def end(self, ending: SubscriptionEnded | None = None) -> None:
        """No more responses: complete (None), or the reason; queued ones are still read."""
        if not self._ended:
            self._ended, self._ending = True, ending
            self._changed.set()

    async def get(self) -> dict[str, Any] | None:
        """The next response; None once completed; raises the ending otherwise."""
        while not self._queue:
            if self._ended:
                if self._ending is not None:
                    raise self._ending
                return None
            self._changed.clear()
            await self._changed.wait()
        return self._queue.popleft()
