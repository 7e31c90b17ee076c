"""The `EventBus` on Kafka (aiokafka): the event log that analytics and recommendations read.

Publishing: each event goes to the topic its type is routed to (`TopicRoutes`;
types without a route are skipped), keyed by its subject id so one order's or
one product's events stay in order in one partition. The producer waits for
all in-sync replicas (`acks=all`), compresses batches and, where the broker
supports it, is idempotent (a setting: the test broker, tansu, is not).

Consuming: a consumer group is a Kafka consumer group; offsets are committed
only once a delivery is settled, one record at a time per stream, so a crash
redelivers what was not handled and consumers absorb repeats through the inbox.
A stream hands out its next record once the last one is settled (a record
taken and left unsettled comes back). Kafka has no delay queues, so `retry()`
rewinds the partition to the record and holds the stream for the retry delay
(later records of that partition wait, which keeps one subject's events in
order). After the last delay, and for a
record that is not an event at all, the raw record goes to the dead-letter
topic `<group>.dead` with header `x-dead-reason`, and the stream goes on.
`requeue_dead_letters` republishes to `<group>.requeue`, which the group reads
beside its topics.

A broker that is down makes `publish` raise `BusUnavailableError` (at the
latest after `publish_timeout`), so the outbox keeps the events; consumers keep
retrying to fetch and pick up where the committed offsets say.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import AsyncGenerator, Collection, Sequence
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from subgraphs.platform.events.bus import (
    DEFAULT_RETRY_DELAYS,
    BusClosedError,
    BusUnavailableError,
    Delivery,
)
from subgraphs.platform.events.envelope import Event, MalformedEventError
from subgraphs.platform.events.routes import TopicRoutes
from subgraphs.platform.transient import one_line

logger = logging.getLogger(__name__)

DEAD_REASON_HEADER = "x-dead-reason"
Compression = Literal["gzip", "snappy", "lz4", "zstd", "none"]


def dead_topic_name(group: str) -> str:
    return f"{group}.dead"


def requeue_topic_name(group: str) -> str:
    return f"{group}.requeue"


def bootstrap_servers(url: str) -> str:
    """`kafka://host:port,host:port` or plain `host:port,...` as aiokafka wants it."""
    return url.removeprefix("kafka://").rstrip("/")


class KafkaBus:
    """An `EventBus` on Kafka; call `start()` before use and `close()` after."""

    def __init__(
        self,
        url: str,
        routes: TopicRoutes,
        *,
        compression: Compression = "gzip",
        idempotence: bool = True,
        session_timeout_ms: int = 10_000,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        publish_timeout: float = 10.0,
        reconnect_interval: float = 1.0,
    ) -> None:
        self._servers = bootstrap_servers(url)
        self.routes = routes
        self._compression = None if compression == "none" else compression
        self._idempotence = idempotence
        self._session_timeout_ms = session_timeout_ms
        self.retry_delays = tuple(retry_delays)
        self.publish_timeout = publish_timeout
        self._reconnect_interval = reconnect_interval
        self._producer: AIOKafkaProducer | None = None
        self._closed = False
        self._closing = asyncio.Event()

    async def start(self) -> None:
        """Connect the producer; `BusUnavailableError` if the broker is down."""
        if self._producer is not None:
            raise RuntimeError("the bus was already started")
        producer = AIOKafkaProducer(
            bootstrap_servers=self._servers,
            acks="all",
            compression_type=self._compression,
            enable_idempotence=self._idempotence,
            linger_ms=5,
            request_timeout_ms=int(self.publish_timeout * 1000),
        )
        try:
            await producer.start()
        except (KafkaError, OSError) as error:
            await producer.stop()
            raise BusUnavailableError(f"cannot connect to Kafka: {error}") from error
        self._producer = producer

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._closing.set()
        if self._producer is not None:
            await self._producer.stop()

    async def publish(self, events: Sequence[Event]) -> None:
        routed = [(topic, e) for e in events if (topic := self.routes.topic_for(e.type))]
        await self.send([(topic, e.subject_id, e.to_bytes()) for topic, e in routed])

    async def send(self, records: Sequence[tuple[str, str, bytes]]) -> None:
        """Produce `(topic, key, value)` records; returns once all are acknowledged."""
        producer = self._ready()
        if not records:
            return
        try:
            async with asyncio.timeout(self.publish_timeout):
                futures = [
                    await producer.send(topic, value, key=key.encode())
                    for topic, key, value in records
                ]
                await asyncio.gather(*futures)
        except (KafkaError, OSError, TimeoutError) as error:
            raise BusUnavailableError(
                f"Kafka did not take {len(records)} records: {error!r}"
            ) from error

    async def declare(self, group: str, types: Collection[str]) -> None:
        """Nothing to do: the log keeps every event, and a group that never committed
        an offset starts at its beginning."""
        if not types:
            raise ValueError("a group needs at least one event type")

    def consume(self, group: str, types: Collection[str]) -> AsyncGenerator[Delivery, None]:
        # An async generator, not just the port's AsyncIterator: a consumer that
        # stops early closes it, which stops its Kafka consumer.
        if not types:
            raise ValueError("consume needs at least one event type")
        self._ready()
        topics = [*self.routes.topics_for(types), requeue_topic_name(group)]
        # Nothing can be missed between this call and the first anext: a new
        # group starts at the beginning of the log, an old one at its offsets.
        return self._deliveries(group, set(types), topics)

    def consumer(
        self, group: str | None, topics: Sequence[str], **options: Any
    ) -> AIOKafkaConsumer:
        """A consumer of `topics` with this bus's settings (offsets committed by the caller)."""
        return AIOKafkaConsumer(
            *topics,
            bootstrap_servers=self._servers,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self._session_timeout_ms,
            heartbeat_interval_ms=max(100, self._session_timeout_ms // 3),
            metadata_max_age_ms=5000,
            # Leaving a group waits this long on a broker that does not answer;
            # a shutdown should not.
            request_timeout_ms=max(5000, self._session_timeout_ms + 1000),
            **options,
        )

    async def _deliveries(
        self, group: str, types: set[str], topics: list[str]
    ) -> AsyncGenerator[Delivery, None]:
        consumer = self.consumer(group, topics)
        await self._start_consumer(consumer)
        stream = _Stream(self, consumer, group)
        try:
            while not self._closed:
                record = await stream.next_record()
                if record is None:
                    return
                try:
                    event = Event.from_bytes(record.value)
                except MalformedEventError as error:
                    logger.error("%s: record %s is not an event: %s", group, record.offset, error)
                    await self.bury(group, record.value, f"malformed: {error}")
                    await stream.commit(record)
                    continue
                if event.type not in types:
                    await stream.commit(record)  # the topic carries types this group ignores
                    continue
                delivery = _KafkaDelivery(stream, record, event)
                yield delivery
                if not delivery.settled:
                    # Taken and dropped unsettled: it comes back, as on a closed channel.
                    stream.rewind(record, delivery.attempt)
        finally:
            await consumer.stop()

    async def _start_consumer(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            try:
                await consumer.start()
                return
            except (KafkaError, OSError) as error:
                if self._closed:
                    raise BusClosedError("the event bus is closed") from None
                logger.warning("Kafka consumer cannot connect yet; retrying: %s", one_line(error))
                await asyncio.sleep(self._reconnect_interval)

    async def bury(self, group: str, value: bytes, reason: str) -> None:
        """Put a raw record among `group`'s dead letters, with the reason."""
        producer = self._ready()
        await producer.send_and_wait(
            dead_topic_name(group), value, headers=[(DEAD_REASON_HEADER, reason.encode())]
        )

    async def dead_letters(self, group: str) -> list[Event]:
        requeued = Counter(e.id for e in await self._read_events(requeue_topic_name(group)))
        events = []
        for event in await self._read_events(dead_topic_name(group)):
            if requeued[event.id] > 0:
                requeued[event.id] -= 1  # buried, then put back: no longer dead
                continue
            events.append(event)
        return events

    async def requeue_dead_letters(
        self, group: str, ids: Collection[uuid.UUID] | None = None
    ) -> int:
        wanted = None if ids is None else set(ids)
        back = [e for e in await self.dead_letters(group) if wanted is None or e.id in wanted]
        await self.send([(requeue_topic_name(group), e.subject_id, e.to_bytes()) for e in back])
        return len(back)

    async def _read_events(self, topic: str) -> list[Event]:
        """Every event in `topic`, from the beginning, read without a group."""
        consumer = self.consumer(None, [topic])
        await consumer.start()
        events: list[Event] = []
        try:
            while batches := await consumer.getmany(timeout_ms=500):
                for records in batches.values():
                    for record in records:
                        try:
                            events.append(Event.from_bytes(record.value))
                        except MalformedEventError:
                            continue  # reported when it was buried
        finally:
            await consumer.stop()
        return events

    @property
    def closed(self) -> bool:
        return self._closed

    async def wait_closed(self) -> None:
        await self._closing.wait()

    def _ready(self) -> AIOKafkaProducer:
        if self._closed:
            raise BusClosedError("the event bus is closed")
        if self._producer is None:
            raise RuntimeError("start the bus first")
        return self._producer


class _Stream:
    """One consumer's position: commits, rewinds for redelivery, and retry pauses."""

    def __init__(self, bus: KafkaBus, consumer: AIOKafkaConsumer, group: str) -> None:
        self.bus = bus
        self.consumer = consumer
        self.group = group
        # Records rewound for redelivery, with the attempt their next delivery is.
        self._attempts: dict[tuple[str, int, int], int] = {}
        self._not_before = 0.0

    async def next_record(self) -> Any:
        """The next record, or None once the bus closes."""
        loop = asyncio.get_running_loop()
        while not self.bus.closed:
            pause = self._not_before - loop.time()
            if pause > 0:
                await asyncio.sleep(pause)
            fetching = asyncio.ensure_future(self.consumer.getone())
            closing = asyncio.ensure_future(self.bus.wait_closed())
            try:
                await asyncio.wait({fetching, closing}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                closing.cancel()
                if not fetching.done():
                    fetching.cancel()
            if not fetching.done() or fetching.cancelled():
                return None
            try:
                return fetching.result()
            except KafkaError as error:
                logger.warning(
                    "%s cannot fetch from Kafka; retrying: %s", self.group, one_line(error)
                )
                await asyncio.sleep(self.bus._reconnect_interval)
        return None

    def attempt_of(self, record: Any) -> tuple[int, bool]:
        """The attempt of this delivery of `record`, and whether it was handed out before."""
        attempt = self._attempts.pop(_position(record), None)
        return (1, False) if attempt is None else (attempt, True)

    async def commit(self, record: Any) -> None:
        tp = TopicPartition(record.topic, record.partition)
        try:
            await self.consumer.commit({tp: record.offset + 1})
        except KafkaError:
            # Not lost: the record is delivered again and the inbox absorbs it.
            logger.warning("%s could not commit offset %s of %s", self.group, record.offset, tp)

    def rewind(self, record: Any, attempt: int, delay: float = 0.0) -> None:
        self._attempts[_position(record)] = attempt
        self.consumer.seek(TopicPartition(record.topic, record.partition), record.offset)
        self._not_before = asyncio.get_running_loop().time() + delay


def _position(record: Any) -> tuple[str, int, int]:
    return (record.topic, record.partition, record.offset)


class _KafkaDelivery:
    def __init__(self, stream: _Stream, record: Any, event: Event) -> None:
        self._stream = stream
        self._record = record
        self._event = event
        self._attempt, self._redelivered = stream.attempt_of(record)
        self.settled = False

    @property
    def event(self) -> Event:
        return self._event

    @property
    def redelivered(self) -> bool:
        return self._redelivered

    @property
    def attempt(self) -> int:
        return self._attempt

    async def ack(self) -> None:
        self._settle()
        await self._stream.commit(self._record)

    async def nack(self, requeue: bool) -> None:
        self._settle()
        if requeue:
            self._stream.rewind(self._record, self._attempt)
            return
        logger.warning("event %s (%s) rejected and dropped", self._event.id, self._event.type)
        await self._stream.commit(self._record)

    async def retry(self) -> None:
        delays = self._stream.bus.retry_delays
        if self._attempt <= len(delays):
            self._settle()
            self._stream.rewind(self._record, self._attempt + 1, delays[self._attempt - 1])
            return
        reason = f"gave up after {self._attempt} attempts"
        # Buried before it counts as settled: if the dead-letter topic cannot take
        # it, the record stays unsettled and comes back instead of being skipped.
        await self._stream.bus.bury(self._stream.group, self._record.value, reason)
        self._settle()
        logger.warning("event %s (%s): %s; dead-lettered", self._event.id, self._event.type, reason)
        await self._stream.commit(self._record)

    def _settle(self) -> None:
        if self.settled:
            raise RuntimeError(f"delivery of event {self._event.id} was already settled")
        self.settled = True
