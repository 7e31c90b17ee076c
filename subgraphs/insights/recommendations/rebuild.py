"""Rebuilding the recommendation tables by replaying the Kafka log from its beginning.

The tables and the consumer's inbox entries are cleared, then every event of
the types the consumer reads is applied again, in log order per partition,
with its inbox entry, so the live consumer later skips what the rebuild
applied. Stop `shopgraph worker recommendations` while this runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import TopicPartition
from sqlalchemy import delete

from subgraphs.insights.models import (
    CoPurchaseRow,
    CoViewRow,
    DailyPopularityRow,
    OrderBasketRow,
    ProductStateRow,
    SessionViewRow,
    UserProductRow,
    inbox,
)
from subgraphs.insights.recommendations.consumer import GROUP
from subgraphs.insights.recommendations.counting import EVENT_TYPES, apply
from subgraphs.platform.database import Database
from subgraphs.platform.events import Event, KafkaBus, MalformedEventError, record_handled

Progress = Callable[[int, int], None]
BATCH = 500
TABLES: Sequence[Any] = (
    CoPurchaseRow,
    CoViewRow,
    DailyPopularityRow,
    OrderBasketRow,
    ProductStateRow,
    SessionViewRow,
    UserProductRow,
)


async def clear(database: Database) -> None:
    async with database.session() as session:
        for table in TABLES:
            await session.execute(delete(table))
        await session.execute(delete(inbox).where(inbox.c.consumer == GROUP))


async def apply_batch(database: Database, events: Sequence[Event]) -> None:
    async with database.session() as session:
        for event in events:
            if await record_handled(session, inbox, GROUP, event.id):
                await apply(session, event)


async def rebuild(database: Database, log: KafkaBus, progress: Progress | None = None) -> int:
    """Replay the log into fresh tables; returns how many events were applied."""
    topics = log.routes.topics_for(EVENT_TYPES)
    consumer = log.consumer(None, topics)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        total = sum(ends.values())
        await clear(database)
        read = applied = 0
        while batches := await consumer.getmany(timeout_ms=1000, max_records=BATCH):
            events = []
            for records in batches.values():
                read += len(records)
                for record in records:
                    try:
                        event = Event.from_bytes(record.value)
                    except MalformedEventError:
                        continue  # the live consumer dead-lettered it
                    if event.type in EVENT_TYPES:
                        events.append(event)
            await apply_batch(database, events)
            applied += len(events)
            if progress is not None:
                progress(read, max(total, read))
        return applied
    finally:
        await consumer.stop()
