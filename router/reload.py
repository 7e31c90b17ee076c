"""Swapping the supergraph while the router serves: one place, for every source of a new one.

`LiveGateway` holds the gateway that serves new requests. `swap(sdl)` builds
and starts a gateway for the new supergraph *beside* the one serving; only
when that worked does it become current. Requests already running finish on
the gateway they started on, which is closed once the last of them is done
(or after `drain_seconds`), so a swap fails no request. Subscriptions hold
their gateway the same way (`acquire` / `release`) and keep running on it;
those still open when the drain time is up are ended by the `retiring`
hooks (the client is told to subscribe again) just before it closes. A
supergraph that does not load leaves the current one serving, and the reason
is logged and returned. The file watcher below and a schema-registry poller both call
`swap`; listeners (metrics, logs) hear every outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from router.config import RouterConfig
from router.gateway import Gateway, Planner
from router.supergraph import load_supergraph

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SwapResult:
    swapped: bool
    source: str  # where the supergraph came from: a file path, a registry version
    reason: str | None = None  # why it was not swapped


SwapListener = Callable[[SwapResult], None]
RetiringHook = Callable[[Gateway], None]  # the gateway is about to close with holders left


class LiveGateway:
    def __init__(
        self,
        gateway: Gateway,
        planner: Planner | None = None,
        drain_seconds: float = 60.0,
    ) -> None:
        self._current = gateway
        self._planner = planner
        self._drain_seconds = drain_seconds
        self._in_flight: dict[Gateway, int] = {}
        self._idle: dict[Gateway, asyncio.Event] = {}
        self._swapping = asyncio.Lock()
        self._retiring: set[asyncio.Task[None]] = set()
        self.listeners: list[SwapListener] = []
        self.retiring: list[RetiringHook] = []

    @property
    def current(self) -> Gateway:
        return self._current

    @property
    def config(self) -> RouterConfig:
        return self._current.config

    async def start(self) -> None:
        await self._current.start()

    async def close(self) -> None:
        """Close the gateway serving and wait for those still draining."""
        await self._current.close()
        await self.drained()

    async def drained(self) -> None:
        """Wait until every replaced gateway has finished its requests and closed."""
        if self._retiring:
            await asyncio.gather(*self._retiring)

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[Gateway]:
        """The current gateway, kept open until the request using it is done."""
        gateway = self.acquire()
        try:
            yield gateway
        finally:
            self.release(gateway)

    def acquire(self) -> Gateway:
        """The current gateway, held open (up to the drain time) until `release`d."""
        gateway = self._current
        self._in_flight[gateway] = self._in_flight.get(gateway, 0) + 1
        return gateway

    def release(self, gateway: Gateway) -> None:
        left = self._in_flight[gateway] - 1
        self._in_flight[gateway] = left
        if left == 0:
            del self._in_flight[gateway]
            idle = self._idle.get(gateway)
            if idle is not None:
                idle.set()

    async def swap(self, sdl: str, source: str) -> SwapResult:
        """Serve `sdl` from now on, unless it fails to load: then the current one stays."""
        async with self._swapping:
            if sdl == self._current.supergraph.sdl:
                return self._tell(SwapResult(False, source, "the supergraph is unchanged"))
            try:
                current = self._current
                supergraph = load_supergraph(sdl)
                gateway = Gateway(
                    supergraph, current.config, self._planner, current.telemetry, current.writes
                )
                await gateway.start()
            # Whatever a new supergraph breaks must not stop the router serving the old one.
            except Exception as error:  # noqa: BLE001 - logged with the reason and returned
                reason = str(error) or type(error).__name__
                log.error("kept the supergraph in service; %s is not loadable: %s", source, reason)
                return self._tell(SwapResult(False, source, reason))
            old, self._current = self._current, gateway
            log.info("now serving the supergraph from %s", source)
            task = asyncio.create_task(self._retire(old))
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)
            task.add_done_callback(self._refreeze)
            return self._tell(SwapResult(True, source))

    async def _retire(self, gateway: Gateway) -> None:
        if gateway in self._in_flight:
            idle = self._idle.setdefault(gateway, asyncio.Event())
            try:
                await asyncio.wait_for(idle.wait(), self._drain_seconds)
            except TimeoutError:
                log.warning(
                    "closing the previous supergraph with %d requests or subscriptions left",
                    self._in_flight.get(gateway, 0),
                )
                for hook in self.retiring:
                    hook(gateway)
            finally:
                self._idle.pop(gateway, None)
        await gateway.close()

    def _refreeze(self, _: asyncio.Task[None]) -> None:
        """Freeze what lives on once the last replaced gateway is gone (see `Gateway.start`).

        Closing the old gateway unfroze everything, so that it can be
        collected; without this, every object would stay under the cyclic
        collector's full scans until a restart. Run when its task is done, so
        no frame holds the old gateway any more; the one full collection
        first keeps the old gateway out of the frozen set.
        """
        if self._retiring or not self._current.ready:
            return  # another one still drains (it will refreeze), or the router is stopping
        gc.collect()
        gc.freeze()

    def _tell(self, result: SwapResult) -> SwapResult:
        for listener in self.listeners:
            listener(result)
        return result


class SupergraphFileWatcher:
    """Swaps in the supergraph file whenever its content differs from the one served (polled).

    Polling, not inotify: it also sees files replaced through symlinks, as
    Kubernetes ConfigMaps and `mv` into place do, on every platform. The file is
    compared with what the router serves, not with what it held when the watcher
    started: a worker that loaded the file just before it changed, and started
    its watcher just after, would otherwise serve the old one for good.
    """

    def __init__(self, path: Path, live: LiveGateway, interval_seconds: float = 2.0) -> None:
        self.path = path
        self.live = live
        self.interval_seconds = interval_seconds
        self._refused: str | None = None  # digest of the last file that failed to load
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def check(self) -> SwapResult | None:
        """Swap when the file holds another supergraph than the one served; None when not."""
        try:
            sdl = self.path.read_text()
        except FileNotFoundError:
            return None  # a missing file (mid-replace) is no new supergraph
        digest = hashlib.sha256(sdl.encode()).hexdigest()
        if sdl == self.live.current.supergraph.sdl or digest == self._refused:
            return None  # served already, or reported already as not loadable
        result = await self.live.swap(sdl, str(self.path))
        self._refused = None if result.swapped else digest
        return result

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.interval_seconds)
            try:
                await self.check()
            except OSError as error:
                log.warning("could not read the supergraph file %s: %r", self.path, error)
