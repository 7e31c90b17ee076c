"""Handling together what concurrent consumers hand in at once (group commit).

A consumer's effect costs mostly round trips: a transaction, its inbox row, a
call to another service. Competing consumers (`running_consumers` with a
`concurrency`) each hold a delivery; a `Batcher` lets each hand its item in and
wait, and handles every item waiting at that moment in one call of
`handle_batch`. Idle, a batch is the one item and starts at once: nothing waits
for company. Busy, the items that arrive while a batch runs make the next one.

Each caller learns the outcome of its own item and settles its own delivery, so
a batch changes nothing in how deliveries are acknowledged or retried. When a
batch fails, each of its items is handled again alone (a batch of one), so one
bad event (or one order that cannot move) never takes its neighbours down with
it, and each caller gets its own item's error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from subgraphs.platform.transient import log_failure

log = logging.getLogger(__name__)

T = TypeVar("T")


class Batcher(Generic[T]):
    """Runs one batch at a time of the items handed in (`handle`), at most `max_size`."""

    def __init__(
        self,
        handle_batch: Callable[[Sequence[T]], Awaitable[None]],
        *,
        max_size: int = 100,
        name: str = "batch",
    ) -> None:
        if max_size < 1:
            raise ValueError(f"max_size must be at least 1, got {max_size}")
        self._handle_batch = handle_batch
        self._max_size = max_size
        self._name = name
        self._waiting: list[tuple[T, asyncio.Future[None]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def handle(self, item: T) -> None:
        """Returns once `item` is handled (in a batch or alone); raises its error."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain(), name=f"{self._name}-drain")
        # Shielded: a caller cancelled (its consumer stopping) leaves the batch running
        # for the others; its delivery stays unsettled and comes back.
        await asyncio.shield(done)

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._max_size]
            del self._waiting[: self._max_size]
            try:
                await self._handle_batch([item for item, _ in batch])
            except Exception as error:  # noqa: BLE001 - the callers get it, or each item is tried alone
                if len(batch) == 1:
                    _finish(batch[0][1], error)
                    continue
                log_failure(log, error, f"{self._name} of {len(batch)} failed; handling each alone")
                await asyncio.gather(*(self._alone(item, done) for item, done in batch))
                continue
            for _, done in batch:
                _finish(done, None)

    async def _alone(self, item: T, done: asyncio.Future[None]) -> None:
        try:
            await self._handle_batch([item])
        except Exception as error:  # noqa: BLE001 - handed to the caller, who retries it
            _finish(done, error)
            return
        _finish(done, None)


def _finish(done: asyncio.Future[None], error: Exception | None) -> None:
    """Tells a caller how its item went (unless it stopped waiting)."""
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
