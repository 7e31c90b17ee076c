"""Every order status change commerce announces, timestamped the moment it arrives.

Commerce publishes each move of an order on Redis pub/sub (the channel behind
`orderStatusChanged`), with the new status as the message body. A thread of
its own, on a blocking Redis connection subscribed to the pattern of every
order's channel, stamps each message with `time.perf_counter()` as it is read:
the servers and clients keep this process's event loop busy, and a stamp taken
there would include however long the message waited for its turn.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Collection
from types import TracebackType

import redis

from subgraphs.commerce.services import status_channel

# RedisPubSub keeps channel names under its prefix, "shopgraph:".
PATTERN = "shopgraph:" + status_channel("*")
CONFIRM_SECONDS = 5.0


class StatusFeed:
    def __init__(self, url: str) -> None:
        self._url = url
        self._seen: dict[tuple[str, str], float] = {}  # (status, order id) -> first arrival
        self._subscribed = threading.Event()
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._listen, name="status-feed", daemon=True)

    def __enter__(self) -> StatusFeed:
        self._thread.start()
        if not self._subscribed.wait(CONFIRM_SECONDS):
            self._stop.set()
            raise RuntimeError(f"no PSUBSCRIBE confirmation from Redis: {self._failure!r}")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def arrived(self, status: str, order_id: str) -> float | None:
        """When `status` of `order_id` was first heard, on the perf_counter clock."""
        return self._seen.get((status, order_id))

    async def wait_for(self, status: str, order_ids: Collection[str], seconds: float) -> set[str]:
        """Waits until every order was heard in `status`, or `seconds` passed; the missing."""
        deadline = time.perf_counter() + seconds
        while True:
            if self._failure is not None:
                raise RuntimeError(f"the status feed stopped: {self._failure!r}")
            missing = {order_id for order_id in order_ids if (status, order_id) not in self._seen}
            if not missing or time.perf_counter() > deadline:
                return missing
            await asyncio.sleep(0.05)

    def _listen(self) -> None:
        client = redis.Redis.from_url(self._url)
        pubsub = client.pubsub()  # type: ignore[no-untyped-call]  # redis-py leaves it bare
        prefix_length = len(PATTERN) - 1
        try:
            pubsub.psubscribe(PATTERN)
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=0.1)
                if message is None:
                    continue
                if message["type"] == "psubscribe":
                    self._subscribed.set()
                elif message["type"] == "pmessage":
                    now = time.perf_counter()
                    order_id = bytes(message["channel"])[prefix_length:].decode()
                    # setdefault: the first arrival is the one that counts.
                    self._seen.setdefault((bytes(message["data"]).decode(), order_id), now)
        except redis.RedisError as error:
            self._failure = error
            raise
        finally:
            pubsub.close()
            client.close()
