"""Ending subscriptions when the router process is told to stop (SIGTERM, SIGINT).

On SIGTERM uvicorn stops accepting and closes every open WebSocket itself,
with 1012, before the app's shutdown runs. Subscribers are owed 1001 Going
Away (and SSE and multipart streams an error event), so the handler uvicorn
installed is wrapped: the signal first ends every subscription connection,
waiting a bounded time for the close frames to go out, and only then reaches
uvicorn, which drains the HTTP requests still running as before.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import FrameType

from router.subscriptions import SubscriptionHub

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@asynccontextmanager
async def subscriptions_end_on_signals(
    hub: SubscriptionHub, wait_seconds: float
) -> AsyncIterator[None]:
    """While the block runs, SIGTERM and SIGINT end `hub`'s connections before anything else."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach only the main thread: nothing to wrap
        return
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    going: set[asyncio.Task[None]] = set()

    async def go_away_then_stop(sig: int, frame: FrameType | None) -> None:
        await hub.go_away(wait_seconds)
        handler = previous[signal.Signals(sig)]
        if callable(handler):
            handler(sig, frame)
        else:  # nobody had taken the signal: its default action (stop the process)
            signal.signal(sig, handler or signal.SIG_DFL)
            signal.raise_signal(sig)

    def start(sig: int, frame: FrameType | None) -> None:
        task = loop.create_task(go_away_then_stop(sig, frame))
        going.add(task)
        task.add_done_callback(going.discard)

    def handle(sig: int, frame: FrameType | None) -> None:
        # A Python signal handler runs between two bytecodes of the loop's thread:
        # hand over to the loop instead of touching it from here.
        loop.call_soon_threadsafe(start, sig, frame)

    for sig in SIGNALS:
        signal.signal(sig, handle)
    try:
        yield
    finally:
        for sig in SIGNALS:
            if signal.getsignal(sig) is handle:
                signal.signal(sig, previous[sig])
