"""The insights subgraph's services, opened once per process in the app lifespan.

Without Kafka (`shopgraph dev`), this process also feeds the analytics store
and the recommendation counts from the bus; with Kafka, `shopgraph worker
analytics` and `shopgraph worker recommendations` do that from the log.
Tracking events go to the log when there is one, else to the bus
(`create_tracker`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from subgraphs.insights.analytics.factory import create_analytics_store
from subgraphs.insights.analytics.port import AnalyticsStore
from subgraphs.insights.analytics.sink import running_analytics_sink
from subgraphs.insights.recommendations.consumer import running_recommender
from subgraphs.insights.settings import InsightsSettings
from subgraphs.platform.cache import Cache
from subgraphs.platform.database import Database
from subgraphs.platform.events import EventBus
from subgraphs.platform.events.tracking import Tracker, create_tracker
from subgraphs.platform.migrations import upgrade
from subgraphs.platform.ratelimit import FixedWindowLimiter
from subgraphs.platform.resources import Platform
from subgraphs.platform.settings import Settings

NAME = "insights"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class InsightsServices:
    settings: Settings
    insights: InsightsSettings
    database: Database
    store: AnalyticsStore
    tracker: Tracker
    track_limiter: FixedWindowLimiter
    bus: EventBus
    cache: Cache


async def migrate(settings: Settings) -> None:
    """The subgraph's tables, and the analytics store's."""
    database = Database(settings, NAME)
    store = create_analytics_store(settings, InsightsSettings())
    try:
        await upgrade(database, MIGRATIONS)
        await store.create_tables()
    finally:
        await store.close()
        await database.close()


@asynccontextmanager
async def open_services(
    platform: Platform, insights: InsightsSettings | None = None
) -> AsyncIterator[InsightsServices]:
    settings = platform.settings
    insights = insights or InsightsSettings()
    database = Database(settings, NAME)
    store = create_analytics_store(settings, insights)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(database.close)
        stack.push_async_callback(store.close)
        await upgrade(database, MIGRATIONS)
        await store.create_tables()
        tracker = create_tracker(platform)
        limiter = FixedWindowLimiter(
            platform.cache,
            insights.track_rate_limit,
            insights.track_rate_window_seconds,
            namespace="track-session",
        )
        services = InsightsServices(
            settings, insights, database, store, tracker, limiter, platform.bus, platform.cache
        )
        if platform.log is None:
            await stack.enter_async_context(running_analytics_sink(platform.bus, store))
            await stack.enter_async_context(running_recommender(database, platform.bus))
        await stack.enter_async_context(tracker.running())
        yield services


async def check_ready(services: InsightsServices) -> None:
    await services.database.ping()
    await services.store.ping()
