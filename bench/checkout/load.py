"""Concurrent clients in a timed window: each request timed, counted and classified.

A run has a warm-up, then a measured window. A request counts towards the
rate (and the errors) when it ends inside the window; its latency is kept when
it began inside it, so a slow request that straddles the end is not dropped.
A window may also end early, once a series has reached its `limit`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

JSON = {"content-type": "application/json"}


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables or {}})


def bearer(token: str) -> dict[str, str]:
    return {**JSON, "authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Reply:
    began: float
    ended: float
    data: dict[str, Any] | None
    error: str | None  # transport, HTTP or GraphQL error; user errors are the caller's to read


async def send(
    session: aiohttp.ClientSession, url: str, payload: bytes, headers: dict[str, str]
) -> Reply:
    began = time.perf_counter()
    try:
        async with session.post(url, data=payload, headers=headers) as response:
            raw = await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as error:
        return Reply(began, time.perf_counter(), None, type(error).__name__)
    ended = time.perf_counter()
    # Parsed after the clock stops: reading the answer is the client's cost.
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return Reply(began, ended, None, f"HTTP {status}, not JSON")
    if status != 200 or document.get("errors") or not document.get("data"):
        errors = document.get("errors") or [{}]
        message = str(errors[0].get("message", ""))[:80]
        return Reply(began, ended, None, f"HTTP {status}: {message}")
    data: dict[str, Any] = document["data"]
    return Reply(began, ended, data, None)


class Window:
    def __init__(self, warmup: float, seconds: float) -> None:
        self.started = time.perf_counter()
        self.opens = self.started + warmup
        self.closes = self.opens + seconds

    def running(self) -> bool:
        return time.perf_counter() < self.closes

    def close_now(self) -> None:
        self.closes = min(self.closes, time.perf_counter())

    @property
    def seconds(self) -> float:
        return self.closes - self.opens


@dataclass
class Series:
    """One kind of request in one window."""

    window: Window
    limit: int | None = None
    latencies: list[float] = field(default_factory=list)
    done: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def record(self, reply: Reply, error: str | None = None) -> bool:
        """Counts `reply`, failed with `error` (or its own); True if it is measured."""
        error = error or reply.error
        if reply.began >= self.window.opens:
            self.latencies.append(reply.ended - reply.began)
        counted = self.window.opens <= reply.ended <= self.window.closes
        if counted and error:
            self.errors[error] += 1
        elif counted:
            self.done += 1
            if self.limit is not None and self.done >= self.limit:
                self.window.close_now()
        return reply.began >= self.window.opens

    @property
    def rate(self) -> float:
        return self.done / self.window.seconds if self.window.seconds > 0 else math.nan

    def ms(self, p: float) -> float:
        return 1000 * percentile(self.latencies, p)


Client = Callable[[int], Coroutine[Any, Any, None]]


async def drive(clients: int, client: Client) -> None:
    """`clients` copies of `client` at once, each given its number; the first error stops all."""
    async with asyncio.TaskGroup() as group:
        for number in range(clients):
            group.create_task(client(number))
