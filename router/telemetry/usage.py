"""The router's usage log: one record per operation, sent to Kafka in the background.

A record says which operation ran (name, SHA-256 of the document text, the
same as its trusted-document id), for which client, which field coordinates it
used, how long it took, how many errors it had and a hash of the user id. It is
written as the platform's event envelope (`operation.executed`, the shape
insights' analytics worker reads) by hand: the router knows nothing of the
subgraphs. `record` never waits: records go to a bounded queue, and when it is
full they are dropped and counted. A task drains the queue to Kafka in batches;
while Kafka is down, the queue fills and then drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.producer.message_accumulator import BatchBuilder

log = logging.getLogger(__name__)

OPERATION_EXECUTED = "operation.executed"
CLIENT_NAME_HEADERS = ("apollographql-client-name", "x-shopgraph-client")
CLIENT_VERSION_HEADER = "apollographql-client-version"
BATCH_SIZE = 2000  # records the drain takes from the queue at once
BATCH_BYTES = 1 << 20  # bytes per Kafka record batch, before compression
RETRY_SECONDS = 1.0
FLUSH_SECONDS = 5.0  # at shutdown


@dataclass(frozen=True, slots=True)
class UsageRecord:
    operation_name: str | None
    document_hash: str
    client_name: str
    client_version: str
    coordinates: tuple[str, ...]
    duration_ms: float
    errors: int
    user_hash: str
    occurred_at: datetime
    id: uuid.UUID

    def to_bytes(self) -> bytes:
        """The platform's event envelope (see subgraphs.platform.events.envelope)."""
        return orjson.dumps(
            {
                "id": str(self.id),
                "type": OPERATION_EXECUTED,
                "version": 1,
                "occurred_at": self.occurred_at.isoformat(),
                "subject_id": self.document_hash,
                "payload": {
                    "operationName": self.operation_name,
                    "documentHash": self.document_hash,
                    "clientName": self.client_name,
                    "clientVersion": self.client_version,
                    "coordinates": list(self.coordinates),
                    "durationMs": self.duration_ms,
                    "errors": self.errors,
                    "userHash": self.user_hash,
                },
            }
        )


def client_of(headers: Mapping[str, str]) -> tuple[str, str]:
    """(name, version) from Apollo's client headers, else `x-shopgraph-client` ("name/version")."""
    name = headers.get(CLIENT_NAME_HEADERS[0])
    if name is not None:
        return name, headers.get(CLIENT_VERSION_HEADER, "")
    given = headers.get(CLIENT_NAME_HEADERS[1], "")
    name, _, version = given.partition("/")
    return name, version


def user_hash(user_id: str | None) -> str:
    """A stable pseudonym of the user: counts distinct users without naming them."""
    if not user_id:
        return ""
    return hashlib.sha256(f"shopgraph-usage:{user_id}".encode()).hexdigest()[:32]


class UsageSink(Protocol):
    async def start(self) -> None: ...
    async def send(self, records: Sequence[bytes]) -> None: ...
    async def close(self) -> None: ...


class KafkaUsageSink:
    """Produces records to one topic, keyed by nothing: usage order does not matter.

    A drained batch goes out as whole record batches (`send_batch`), each filled
    to `BATCH_BYTES` and sent to the topic's partitions in turn: producing record
    by record cost a partitioner call, an accumulator append and a future each,
    and waited for the linger, which held the drain to a few thousand records a
    second."""

    def __init__(self, url: str, topic: str) -> None:
        self.servers = url.removeprefix("kafka://").rstrip("/")
        self.topic = topic
        self._producer: AIOKafkaProducer | None = None
        self._turn = 0  # which partition takes the next record batch

    async def start(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.servers, acks=1, compression_type="gzip",
            max_batch_size=BATCH_BYTES,
        )  # fmt: skip
        try:
            await producer.start()
        except BaseException:
            await producer.stop()
            raise
        self._producer = producer

    async def send(self, records: Sequence[bytes]) -> None:
        producer = self._producer
        if producer is None:
            raise RuntimeError("the usage sink was not started")
        partitions = sorted(await producer.partitions_for(self.topic))
        sent: list[asyncio.Future[object]] = []
        batch = producer.create_batch()
        for record in records:
            if batch.append(key=None, value=record, timestamp=None) is not None:
                continue
            if batch.record_count() == 0:
                log.error("usage log: a %d-byte record exceeds a batch; dropped", len(record))
                continue
            sent.append(await self._send(producer, batch, partitions))
            batch = producer.create_batch()
            if batch.append(key=None, value=record, timestamp=None) is None:
                log.error("usage log: a %d-byte record exceeds a batch; dropped", len(record))
        if batch.record_count():
            sent.append(await self._send(producer, batch, partitions))
        await asyncio.gather(*sent)

    async def _send(
        self, producer: AIOKafkaProducer, batch: BatchBuilder, partitions: list[int]
    ) -> asyncio.Future[object]:
        partition = partitions[self._turn % len(partitions)]
        self._turn += 1
        future: asyncio.Future[object] = await producer.send_batch(
            batch, self.topic, partition=partition
        )
        return future

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()


class UsageLog:
    def __init__(
        self, sink: UsageSink, size: int, on_drop: Callable[[], None] | None = None
    ) -> None:
        self.sink = sink
        self.dropped = 0
        self._on_drop = on_drop
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(size)
        self._task: asyncio.Task[None] | None = None

    def record(self, record: UsageRecord) -> None:
        try:
            self._queue.put_nowait(record.to_bytes())
        except asyncio.QueueFull:
            self.dropped += 1
            if self._on_drop is not None:
                self._on_drop()
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("usage log queue full: %d records dropped so far", self.dropped)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._drain(), name="usage-log")

    async def close(self) -> None:
        """Send what is queued (for at most `FLUSH_SECONDS`), then stop; the rest is lost."""
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FLUSH_SECONDS):
                    await self._queue.join()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(KafkaError, OSError):
            await self.sink.close()

    async def _drain(self) -> None:
        started = False
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH_SIZE and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            while True:
                try:
                    if not started:
                        await self.sink.start()
                        started = True
                    await self.sink.send(batch)
                    for _ in batch:
                        self._queue.task_done()
                    break
                except (KafkaError, OSError) as error:
                    # The batch is kept; new records meanwhile fill the queue, then drop.
                    log.warning("usage log: Kafka did not take %d records: %r", len(batch), error)
                    await asyncio.sleep(RETRY_SECONDS)


def usage_record(
    operation_name: str | None,
    document_hash: str,
    headers: Mapping[str, str],
    coordinates: tuple[str, ...],
    duration_ms: float,
    errors: int,
    user_id: str | None,
) -> UsageRecord:
    name, version = client_of(headers)
    return UsageRecord(
        operation_name, document_hash, name, version, coordinates, duration_ms, errors,
        user_hash(user_id), datetime.now(UTC), uuid.uuid4(),
    )  # fmt: skip
