"""What one subscriber has not read yet: a bounded queue of responses, then how it ended.

The producer never waits on a subscriber: `put` appends or, when `limit`
responses are already waiting, ends the subscription with `SlowClient` and
drops what was queued, so a client that stops reading costs at most `limit`
responses of memory.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from router.subscriptions.endings import SlowClient, SubscriptionEnded


class ClientBuffer:
    def __init__(self, limit: int) -> None:
        self.limit = limit
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
            self.end(SlowClient(self.limit))
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
