"""An in-process load generator: N requests (or T seconds) at concurrency C, latencies kept."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

Send = Callable[[aiohttp.ClientSession], Awaitable[bool]]
WARM_UP = 50


@dataclass
class Result:
    requests: int = 0
    failures: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """Milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def mean(self) -> float:
        return 1000 * statistics.fmean(self.latencies) if self.latencies else float("nan")


async def measure(send: Send, *, requests: int, seconds: float, concurrency: int) -> Result:
    result = Result()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(WARM_UP):  # fills the router's caches and the connection pools
            await send(session)
        issued = 0
        started = time.perf_counter()
        deadline = started + seconds

        async def worker() -> None:
            nonlocal issued
            while issued < requests and time.perf_counter() < deadline:
                issued += 1
                begin = time.perf_counter()
                ok = await send(session)
                result.latencies.append(time.perf_counter() - begin)
                result.requests += 1
                result.failures += not ok

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.elapsed = time.perf_counter() - started
    return result
