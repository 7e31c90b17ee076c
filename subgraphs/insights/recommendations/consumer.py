"""The recommendations consumer: each event changes the counts once, through the inbox.

It runs inside the insights process when there is no Kafka (`shopgraph dev`),
and as `shopgraph worker recommendations` on the Kafka log otherwise (its
group, `insights.recommendations`, is in `SHOPGRAPH_KAFKA_GROUPS`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from subgraphs.insights.models import inbox
from subgraphs.insights.recommendations.counting import apply
from subgraphs.insights.subscriptions import RECOMMENDATIONS
from subgraphs.platform.database import Database
from subgraphs.platform.events import Delivery, Event, EventBus, record_handled
from subgraphs.platform.events.consuming import running_consumers

GROUP = RECOMMENDATIONS.group


async def handle_event(database: Database, event: Event) -> bool:
    """Apply `event` once; False if it had been applied before."""
    async with database.session() as session:
        if not await record_handled(session, inbox, GROUP, event.id):
            return False
        await apply(session, event)
    return True


@asynccontextmanager
async def running_recommender(database: Database, bus: EventBus) -> AsyncIterator[None]:
    async def handle(delivery: Delivery) -> None:
        await handle_event(database, delivery.event)
        await delivery.ack()

    async with running_consumers(bus, RECOMMENDATIONS.group, RECOMMENDATIONS.types, handle):
        yield
