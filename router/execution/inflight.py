"""Identical work in flight, done once: the first caller runs it, the callers after it share it.

An entry lives only while its work runs: the result (or the exception) goes to
every caller waiting then, and the next caller starts the work again. Nothing
is cached beyond that.

The work runs in a task of its own, so a caller that is cancelled (a client
gone) leaves the others waiting; the work is cancelled only when no caller
waits for it any more.

Writes: a caller joins only work that started after the last write this
router process finished (`Writes`). A client that got a mutation's answer and
then asks a query never receives an answer read before its mutation ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Writes:
    """How many writes (mutations) this process has finished: a clock for `InFlight`."""

    def __init__(self) -> None:
        self.finished = 0

    def finish(self) -> None:
        self.finished += 1


@dataclass(slots=True)
class _Work(Generic[V]):
    task: asyncio.Task[V]
    writes: int  # `Writes.finished` when the work started
    waiters: int = 1


class InFlight(Generic[K, V]):
    def __init__(self, writes: Writes) -> None:
        self.writes = writes
        self._work: dict[K, _Work[V]] = {}
        self.shared = 0  # callers that joined work already in flight, since start

    @property
    def waiting(self) -> int:
        """Callers waiting for work in flight, all keys together."""
        return sum(work.waiters for work in self._work.values())

    async def run(self, key: K, work: Callable[[], Coroutine[Any, Any, V]]) -> V:
        """`work()`'s result, from work already in flight for `key` when there is some."""
        running = self._work.get(key)
        if running is None or running.writes != self.writes.finished:
            running = _Work(asyncio.create_task(work()), self.writes.finished)
            self._work[key] = running
            running.task.add_done_callback(lambda _: self._forget(key, running))
        else:
            running.waiters += 1
            self.shared += 1
        try:
            return await asyncio.shield(running.task)
        finally:
            running.waiters -= 1
            if running.waiters == 0 and not running.task.done():
                # Every caller left: nobody wants the result. Forgotten at once, so
                # that a caller arriving now starts afresh instead of joining a
                # cancelled task.
                self._forget(key, running)
                running.task.cancel()

    def _forget(self, key: K, work: _Work[V]) -> None:
        if self._work.get(key) is work:
            del self._work[key]
