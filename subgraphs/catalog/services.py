"""The catalog subgraph's services, opened once per process in the app lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from subgraphs.catalog.indexer import running_indexer
from subgraphs.catalog.models import outbox
from subgraphs.catalog.search.factory import create_search_backend
from subgraphs.catalog.search.port import SearchBackend
from subgraphs.catalog.settings import CatalogSettings
from subgraphs.platform.database import Database
from subgraphs.platform.events import EventBus, OutboxRelay
from subgraphs.platform.events.tracking import Tracker, create_tracker
from subgraphs.platform.migrations import migrate as migrate_subgraph
from subgraphs.platform.migrations import upgrade
from subgraphs.platform.resources import Platform
from subgraphs.platform.settings import Settings

NAME = "catalog"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class CatalogServices:
    settings: Settings
    database: Database
    search: SearchBackend
    relay: OutboxRelay
    bus: EventBus
    # Searches with their result counts, for the analytics (zero-result queries).
    tracker: Tracker


async def migrate(settings: Settings) -> None:
    await migrate_subgraph(settings, NAME, MIGRATIONS)


@asynccontextmanager
async def open_services(
    platform: Platform, catalog: CatalogSettings | None = None
) -> AsyncIterator[CatalogServices]:
    settings = platform.settings
    catalog = catalog or CatalogSettings()
    database = Database(settings, NAME)
    try:
        await upgrade(database, MIGRATIONS)
        search = create_search_backend(catalog.search_backend, database, catalog.search_url)
        await search.start()
        try:
            relay = platform.outbox_relay(database, outbox)
            tracker = create_tracker(platform)
            services = CatalogServices(settings, database, search, relay, platform.bus, tracker)
            # The indexer subscribes before the relay publishes: no event passes it by.
            async with (
                running_indexer(database, search, platform.bus),
                relay.running(enabled=settings.relay_in_process),
                tracker.running(),
            ):
                yield services
        finally:
            await search.close()
    finally:
        await database.close()


async def check_ready(services: CatalogServices) -> None:
    await services.database.ping()
