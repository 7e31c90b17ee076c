"""The users subgraph's services, opened once per process in the app lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from subgraphs.platform.auth.passwords import PasswordHasher
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.platform.database import Database
from subgraphs.platform.events import OutboxRelay
from subgraphs.platform.migrations import migrate as migrate_subgraph
from subgraphs.platform.migrations import upgrade
from subgraphs.platform.ratelimit import FixedWindowLimiter, SlidingWindowLimiter
from subgraphs.platform.resources import Platform
from subgraphs.platform.settings import Settings
from subgraphs.users.models import outbox
from subgraphs.users.settings import UsersSettings

NAME = "users"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class UserServices:
    settings: Settings
    users: UsersSettings
    database: Database
    hasher: PasswordHasher
    tokens: AccessTokens
    failed_logins: FixedWindowLimiter
    ip_failed_logins: SlidingWindowLimiter
    registrations: SlidingWindowLimiter
    relay: OutboxRelay


async def migrate(settings: Settings) -> None:
    await migrate_subgraph(settings, NAME, MIGRATIONS)


@asynccontextmanager
async def open_services(
    platform: Platform, users: UsersSettings | None = None
) -> AsyncIterator[UserServices]:
    settings = platform.settings
    users = users or UsersSettings()
    database = Database(settings, NAME)
    try:
        await upgrade(database, MIGRATIONS)
        relay = platform.outbox_relay(database, outbox)
        async with relay.running(enabled=settings.relay_in_process):
            yield UserServices(
                settings=settings,
                users=users,
                database=database,
                hasher=PasswordHasher(
                    time_cost=users.argon2_time_cost,
                    memory_kib=users.argon2_memory_kib,
                    slots=users.password_hashing_slots,
                    queue=users.password_hashing_queue,
                ),
                tokens=platform.tokens,
                failed_logins=FixedWindowLimiter(
                    platform.cache,
                    users.login_max_failures,
                    users.login_window_seconds,
                    namespace="failed-logins",
                ),
                ip_failed_logins=SlidingWindowLimiter(
                    platform.cache,
                    users.login_ip_max_failures,
                    users.login_window_seconds,
                    namespace="failed-logins-ip",
                ),
                registrations=SlidingWindowLimiter(
                    platform.cache,
                    users.register_ip_max,
                    3600,
                    namespace="registrations-ip",
                ),
                relay=relay,
            )
    finally:
        await database.close()


async def check_ready(services: UserServices) -> None:
    await services.database.ping()
