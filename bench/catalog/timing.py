"""Sequential GraphQL requests over loopback HTTP, timed one by one; serving the app for them."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

WARM_UP = 10  # untimed requests first: connection, statement caches, lazy imports
HEADERS = {"content-type": "application/json"}


@dataclass
class Timings:
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """Milliseconds, nearest rank."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return 1000 * ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class RequestFailed(RuntimeError):
    """A measured request did not come back as 200 with data and no errors."""


def bodies(query: str, variables: Sequence[dict[str, Any]] = ({},)) -> list[bytes]:
    """Encoded request bodies, one per set of variables, so encoding stays out of the timing."""
    return [orjson.dumps({"query": query, "variables": v}) for v in variables]


async def post(session: aiohttp.ClientSession, url: str, body: bytes) -> dict[str, Any]:
    """The response's `data`; raises RequestFailed on any other outcome."""
    async with session.post(url, data=body, headers=HEADERS) as reply:
        return _data(reply.status, await reply.read())


def _data(status: int, raw: bytes) -> dict[str, Any]:
    payload = orjson.loads(raw)
    if status != 200 or payload.get("errors") or not payload.get("data"):
        raise RequestFailed(f"{status}: {raw[:300].decode(errors='replace')}")
    data: dict[str, Any] = payload["data"]
    return data


async def measure(
    session: aiohttp.ClientSession,
    url: str,
    requests: Sequence[bytes],
    *,
    count: int,
    seconds: float,
) -> Timings:
    """`count` requests (or fewer, when `seconds` run out) one after another, cycling bodies."""
    for position in range(WARM_UP):
        await post(session, url, requests[position % len(requests)])
    timings = Timings()
    started = time.perf_counter()
    deadline = started + seconds
    for position in range(count):
        begin = time.perf_counter()
        if begin > deadline:
            break
        async with session.post(url, data=requests[position % len(requests)], headers=HEADERS) as r:
            raw = await r.read()
        timings.latencies.append(time.perf_counter() - begin)
        # Checked after the clock stops: parsing the answer is the client's cost, not the server's.
        _data(r.status, raw)
    timings.elapsed = time.perf_counter() - started
    return timings
