"""`shopgraph worker outbox`: the outbox relays of several subgraphs in a process of their own.

Each subgraph's relay (outbox.py) wakes when PostgreSQL notifies that a
transaction which wrote to that subgraph's outbox committed; one LISTEN
connection serves them all. Polling stays as a slow safety net for
notifications that cannot arrive: while the listening connection is being
re-opened, and for rows a relay left behind after a failed publish. Any number
of these processes may run at once: each relay locks the rows it publishes with
`FOR UPDATE SKIP LOCKED`, so two relays never publish the same row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints

from subgraphs.platform.database import asyncpg_dsn
from subgraphs.platform.events.outbox import NOTIFY_CHANNEL, OutboxRelay

log = logging.getLogger(__name__)

# With notifications, polling only catches what they cannot announce.
FALLBACK_POLL_SECONDS = 5.0
# Every commit that writes events notifies; the commits of the next 10 ms share the
# pass the first one wakes (a transaction and a publish each), for at most 10 ms
# more on the way of an event.
GATHER_SECONDS = 0.01
RECONNECT_SECONDS = 2.0


class OutboxListener:
    """Wakes the relay of the subgraph each notification names; re-listens after a cut."""

    def __init__(self, database_url: str, relays: Mapping[str, OutboxRelay]) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._relays = relays
        self.listening = asyncio.Event()  # set while a LISTEN is in place

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._listen(stop)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning(
                    "outbox notifications lost (%s: %s); polling until they are back",
                    type(error).__name__,
                    error,
                )
            self.listening.clear()
            if not stop.is_set():
                await _wait(stop, RECONNECT_SECONDS)

    async def _listen(self, stop: asyncio.Event) -> None:
        connection = await asyncpg.connect(self._dsn)
        try:
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _: lost.set())
            await connection.add_listener(NOTIFY_CHANNEL, self._notified)
            self.listening.set()
            # Whatever committed while nobody listened is relayed now.
            for relay in self._relays.values():
                relay.notify()
            waiters = [asyncio.ensure_future(event.wait()) for event in (stop, lost)]
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
            if lost.is_set() and not stop.is_set():
                raise ConnectionResetError("the LISTEN connection closed")
        finally:
            if not connection.is_closed():
                await connection.close(timeout=2)

    def _notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        relay = self._relays.get(payload)
        if relay is not None:
            relay.notify()


@asynccontextmanager
async def running_outbox_relays(
    database_url: str, relays: Mapping[str, OutboxRelay]
) -> AsyncIterator[OutboxListener]:
    """Every relay of `relays` (subgraph name -> relay) running, woken by notifications."""
    listener = OutboxListener(database_url, relays)
    stop = asyncio.Event()
    async with AsyncExitStack() as stack:
        task = asyncio.create_task(listener.run(stop), name="outbox-listener")

        async def stop_listening() -> None:
            stop.set()
            await task

        stack.push_async_callback(stop_listening)
        for relay in relays.values():
            await stack.enter_async_context(
                relay.running(FALLBACK_POLL_SECONDS, gather_seconds=GATHER_SECONDS)
            )
        yield listener


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
