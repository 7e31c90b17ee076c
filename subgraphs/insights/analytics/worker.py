"""`shopgraph worker analytics`: the Kafka log into the analytics store, in batches.

A batch closes at `batch_size` records or `flush_seconds` after its first
record, whichever comes first. Its facts go to the store in one insert per
table, and only then are the batch's offsets committed. While the store is
down the worker keeps the batch, retries with growing pauses and commits
nothing; a crash at any point redelivers the uncommitted records, whose facts
the store keeps once (ReplacingMergeTree, read with FINAL). A record that is
not a usable event goes to the dead-letter topic `insights.analytics.dead`
with the reason, and the batch goes on without it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from subgraphs.insights.analytics.facts import FactBatch, Operation, UnusableEventError
from subgraphs.insights.analytics.port import AnalyticsStore
from subgraphs.insights.analytics.records import add_record
from subgraphs.insights.analytics.sink import GROUP
from subgraphs.platform.events import KafkaBus, MalformedEventError

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
FETCH_PARTITION_BYTES = 8 << 20
# Container allocations between young collections in a process that runs the worker.
GC_YOUNG_THRESHOLD = 50_000


def relax_gc() -> None:
    """Tune the garbage collector of a process whose work is this worker.

    A batch keeps tens of thousands of records (tracked containers) alive until it
    is decoded, so the default young threshold of 700 ran a collection every few
    hundred records and an older one every few thousand, walking the surviving
    records again, and each full collection walked every object the imports made.
    Freezing those objects takes them out of every collection, and a higher young
    threshold collects once per tens of thousands of allocations: about 15-20 %
    less CPU per record decoded and fetched. Reference counting still frees almost
    everything at once; only cycles wait longer.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


class AnalyticsWorker:
    def __init__(
        self,
        bus: KafkaBus,
        store: AnalyticsStore,
        topics: Sequence[str],
        *,
        batch_size: int = 20_000,
        flush_seconds: float = 1.0,
        group: str = GROUP,
        backoff: Sequence[float] = BACKOFF_SECONDS,
    ) -> None:
        self._bus = bus
        self._store = store
        self._topics = list(topics)
        self._batch_size = batch_size
        self._flush_seconds = flush_seconds
        self.group = group
        self._backoff = tuple(backoff)
        self.committed = 0  # records whose offsets are committed
        self.inserted = 0  # facts and operations inserted (repeats included)
        self.store_failures = 0
        self.progress = asyncio.Event()  # set after every commit

    async def run(self, stop: asyncio.Event) -> None:
        # A fetch brings up to 8 MiB of a partition (aiokafka's default is 1 MiB, about
        # 20,000 gzipped tracking records): a batch of 20,000 or more takes fewer round trips.
        consumer = self._bus.consumer(
            self.group, self._topics, max_partition_fetch_bytes=FETCH_PARTITION_BYTES
        )
        while True:
            try:
                await consumer.start()
                break
            except (KafkaError, OSError):
                log.warning("analytics worker cannot reach Kafka yet; retrying", exc_info=True)
                if await _stopped(stop, 1.0):
                    return
        # One batch is stored and committed while the next is fetched and decoded;
        # batches still reach the store, and commit, strictly one after another.
        storing: asyncio.Task[bool] | None = None
        try:
            while not stop.is_set():
                records = await self._collect(consumer, stop)
                if not records:
                    if storing is not None and not await storing:
                        return  # stopped while the store was down: nothing committed
                    storing = None
                    continue
                batch = await self._decode(records)
                if storing is not None and not await storing:
                    return
                storing = asyncio.create_task(self._insert_and_commit(consumer, batch, stop))
            if storing is not None:
                await storing
        finally:
            if storing is not None and not storing.done():
                storing.cancel()  # cancelled from outside: uncommitted, so it comes again
            await consumer.stop()

    async def _collect(self, consumer: Any, stop: asyncio.Event) -> list[Any]:
        loop = asyncio.get_running_loop()
        records: list[Any] = []
        deadline: float | None = None
        while len(records) < self._batch_size and not stop.is_set():
            wait = self._flush_seconds if deadline is None else deadline - loop.time()
            if wait <= 0:
                break
            try:
                fetched = await consumer.getmany(
                    timeout_ms=int(wait * 1000), max_records=self._batch_size - len(records)
                )
            except KafkaError:
                log.warning("analytics worker cannot fetch; retrying", exc_info=True)
                await _stopped(stop, 1.0)
                continue
            for partition_records in fetched.values():
                records.extend(partition_records)
            if not records:
                return []  # an idle poll: let the caller look at `stop`
            if deadline is None:
                deadline = loop.time() + self._flush_seconds
        return records

    async def _decode(self, records: list[Any]) -> _Batch:
        """The rows of `records`; unusable ones go to the dead letters."""
        facts = FactBatch()
        operations: list[Operation] = []
        offsets: dict[TopicPartition, int] = {}
        for record in records:
            offsets[TopicPartition(record.topic, record.partition)] = record.offset + 1
            try:
                add_record(record.value, facts, operations)
            except (MalformedEventError, UnusableEventError) as error:
                log.error("analytics: record %s is unusable: %s", record.offset, error)
                await self._bus.bury(self.group, record.value, f"unusable: {error}")
        return _Batch(facts, operations, offsets, len(records))

    async def _insert_and_commit(self, consumer: Any, batch: _Batch, stop: asyncio.Event) -> bool:
        """Insert, then commit; False if stopped before the store took the batch."""
        if not await self._insert(batch.facts, batch.operations, stop):
            return False
        try:
            await consumer.commit(batch.offsets)
        except KafkaError:
            # The batch comes again after a restart; its facts are kept once.
            log.warning("analytics worker could not commit; the batch will repeat", exc_info=True)
            return True
        self.committed += batch.records
        self.progress.set()
        return True

    async def _insert(
        self, facts: FactBatch, operations: list[Operation], stop: asyncio.Event
    ) -> bool:
        attempt = 0
        while True:
            try:
                await self._store.insert(facts, operations)
            except Exception:
                self.store_failures += 1
                pause = self._backoff[min(attempt, len(self._backoff) - 1)]
                log.warning(
                    "analytics store insert failed; retrying in %.1f s", pause, exc_info=True
                )
                attempt += 1
                if await _stopped(stop, pause):
                    return False
                continue
            self.inserted += len(facts) + len(operations)
            return True


@dataclass(frozen=True)
class _Batch:
    facts: FactBatch
    operations: list[Operation]
    offsets: dict[TopicPartition, int]
    records: int


async def _stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Wait `seconds` or until `stop`; True if stopped."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True
