"""Running consumers of a bus in the background of a process, and stopping them cleanly.

A handler gets each delivery and settles it (ack, nack or retry). If it raises
instead, the delivery is retried later, so a bug or an outage never loses an
event. On stop, each consumer finishes the delivery in hand and returns; the
bus gives back whatever was not settled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager

from subgraphs.platform.events.bus import Delivery, EventBus
from subgraphs.platform.transient import log_failure

log = logging.getLogger(__name__)

Handler = Callable[[Delivery], Awaitable[None]]


async def next_or_stop(deliveries: AsyncIterator[Delivery], stop: asyncio.Event) -> Delivery | None:
    """The next delivery, or None once `stop` is set or the bus closed."""
    waiting = asyncio.ensure_future(anext(deliveries))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not waiting.done():
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await waiting
        return None
    try:
        return waiting.result()
    except StopAsyncIteration:
        return None


async def consume_until(
    deliveries: AsyncIterator[Delivery], handle: Handler, stop: asyncio.Event, group: str
) -> None:
    while not stop.is_set():
        delivery = await next_or_stop(deliveries, stop)
        if delivery is None:
            return
        try:
            await handle(delivery)
        except Exception as error:  # noqa: BLE001 - logged (traceback unless transient), then retried
            event = delivery.event
            log_failure(
                log, error, f"{group} failed on event {event.id} ({event.type}); it will be retried"
            )
            try:
                await delivery.retry()
            except Exception:
                # Still not lost: unsettled, it comes back when this consumer's
                # channel closes (RabbitMQ) or its stream ends (in-process).
                log.warning(
                    "could not hand event %s back for a retry",
                    delivery.event.id,
                    exc_info=True,
                )


@asynccontextmanager
async def running_consumers(
    bus: EventBus,
    group: str,
    types: Collection[str],
    handle: Handler,
    *,
    concurrency: int = 1,
) -> AsyncIterator[None]:
    """`concurrency` competing consumers of `group` for as long as the block runs."""
    # Subscribe here, not in the tasks: events published right after this
    # returns must already be queued for the group.
    streams = [bus.consume(group, types) for _ in range(concurrency)]
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(consume_until(stream, handle, stop, group), name=f"{group}-{n}")
        for n, stream in enumerate(streams)
    ]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)
