"""The social subgraph's services, opened once per process in the app lifespan.

Besides the API, a social process runs two consumers: one learns which
products exist from catalog's events, the other records purchases from
commerce's events (see feeds.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from subgraphs.platform.database import Database
from subgraphs.platform.events import OutboxRelay
from subgraphs.platform.migrations import migrate as migrate_subgraph
from subgraphs.platform.migrations import upgrade
from subgraphs.platform.ratelimit import FixedWindowLimiter
from subgraphs.platform.resources import Platform
from subgraphs.platform.settings import Settings
from subgraphs.social.feeds import running_feeds
from subgraphs.social.models import outbox
from subgraphs.social.settings import SocialSettings

NAME = "social"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class SocialServices:
    settings: Settings
    database: Database
    relay: OutboxRelay
    review_limiter: FixedWindowLimiter


async def migrate(settings: Settings) -> None:
    await migrate_subgraph(settings, NAME, MIGRATIONS)


@asynccontextmanager
async def open_services(
    platform: Platform, social: SocialSettings | None = None
) -> AsyncIterator[SocialServices]:
    social = social or SocialSettings()
    database = Database(platform.settings, NAME)
    try:
        await upgrade(database, MIGRATIONS)
        relay = platform.outbox_relay(database, outbox)
        services = SocialServices(
            platform.settings,
            database,
            relay,
            FixedWindowLimiter(
                platform.cache,
                social.review_rate_limit,
                social.review_rate_window_seconds,
                namespace="review-creation",
            ),
        )
        # The feeds subscribe before anything is relayed, so no event passes them by.
        async with (
            running_feeds(services, platform.bus),
            relay.running(enabled=platform.settings.relay_in_process),
        ):
            yield services
    finally:
        await database.close()


async def check_ready(services: SocialServices) -> None:
    await services.database.ping()
