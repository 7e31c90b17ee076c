"""Feeding the analytics store from events, one event at a time, on the process's own bus.

This is the embedded path (`shopgraph dev`, or any setup without Kafka): the
insights process consumes domain and tracking events from the bus and inserts
their facts. With Kafka configured the `shopgraph worker analytics` process
does it in batches instead (worker.py). The store keeps one copy per fact key,
so redelivered events need no inbox.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from subgraphs.insights.analytics.facts import (
    OPERATION_EXECUTED,
    Fact,
    Operation,
    UnusableEventError,
    facts_of,
    operation_of,
)
from subgraphs.insights.analytics.port import AnalyticsStore
from subgraphs.insights.subscriptions import ANALYTICS
from subgraphs.platform.events import Delivery, Event, EventBus
from subgraphs.platform.events.consuming import running_consumers

log = logging.getLogger(__name__)

GROUP = ANALYTICS.group


def rows_of(events: Sequence[Event]) -> tuple[list[Fact], list[Operation]]:
    """The store rows of `events`; `UnusableEventError` for one that cannot become rows."""
    facts: list[Fact] = []
    operations: list[Operation] = []
    for event in events:
        if event.type == OPERATION_EXECUTED:
            operations.append(operation_of(event))
        else:
            facts.extend(facts_of(event))
    return facts, operations


@asynccontextmanager
async def running_analytics_sink(bus: EventBus, store: AnalyticsStore) -> AsyncIterator[None]:
    async def handle(delivery: Delivery) -> None:
        try:
            facts, operations = rows_of([delivery.event])
        except UnusableEventError as error:
            log.error("analytics cannot use event %s: %s", delivery.event.id, error)
            await delivery.nack(requeue=False)
            return
        await store.insert(facts, operations)  # a failure is retried by the consumer loop
        await delivery.ack()

    async with running_consumers(bus, ANALYTICS.group, ANALYTICS.types, handle):
        yield
