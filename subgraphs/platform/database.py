"""Each subgraph's own database: engine, sessions and the table registry.

A subgraph owns its tables outright. Embedded, that is one SQLite file per
subgraph under the data directory; on PostgreSQL it is one schema per subgraph,
selected through the connection's search_path, so table definitions carry no
schema name and never reference another subgraph's tables.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.util import await_

from subgraphs.platform.settings import Settings


def database_url(settings: Settings, subgraph: str) -> URL:
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return URL.create("sqlite+aiosqlite", database=str(settings.data_dir / f"{subgraph}.db"))
    return make_url(settings.database_url)


def asyncpg_dsn(database_url: str) -> str:
    """The plain postgresql:// DSN asyncpg takes, from a SQLAlchemy URL."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def create_engine(settings: Settings, subgraph: str) -> AsyncEngine:
    """An engine whose every connection sees only `subgraph`'s tables."""
    url = database_url(settings, subgraph)
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        # pysqlite's own transaction handling defers BEGIN until the first write;
        # we emit BEGIN IMMEDIATE ourselves so a read-then-write cannot deadlock.
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        return engine
    engine = create_async_engine(
        url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        # Most recently returned first: the connections in use stay the trusted ones.
        pool_use_lifo=True,
        connect_args={"server_settings": {"search_path": subgraph}},
    )
    event.listen(engine.sync_engine, "connect", _note_in_use)
    event.listen(engine.sync_engine, "checkin", _note_in_use)
    event.listen(engine.sync_engine, "checkout", _check_if_idle)
    return engine


# A pooled connection that served a statement less than this ago is used without a
# check (a PostgreSQL restart takes seconds); one idle longer is pinged first, and
# replaced when the ping fails, so a restart costs no request an error. It replaces
# `pool_pre_ping`, which pinged on every checkout and, with asyncpg, took three round
# trips (BEGIN, the ping, ROLLBACK) before each statement of the hot paths.
TRUSTED_IDLE_SECONDS = 0.5
_IN_USE_AT = "shopgraph_in_use_at"


def _note_in_use(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_IN_USE_AT] = time.monotonic()


def _check_if_idle(
    _dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    if time.monotonic() - record.info.get(_IN_USE_AT, 0.0) < TRUSTED_IDLE_SECONDS:
        return
    connection: asyncpg.Connection = record.driver_connection
    try:
        # Outside a transaction: one round trip. The pool runs checkouts in its greenlet.
        await_(connection.fetchrow(";"))
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
        # The pool discards this connection and checks out another.
        raise DisconnectionError("a pooled connection did not answer its ping") from error


def dialect_insert(session: AsyncSession, table: Any) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that can say ON CONFLICT, in the session's dialect."""
    if session.get_bind().dialect.name == "sqlite":
        return sqlite.insert(table)
    return postgresql.insert(table)


def _tune_sqlite(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # The aiosqlite adapter exposes the sqlite3 connection's isolation level.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One subgraph's engine plus a session factory."""

    def __init__(self, settings: Settings, subgraph: str) -> None:
        self.subgraph = subgraph
        self.engine = create_engine(settings, subgraph)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Outbox writes are announced to `shopgraph worker outbox` (events/outbox.py).
        self.announces_outbox = settings.outbox_relay == "worker" and not self.is_sqlite

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine.url)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on error."""
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads of one statement, the hot paths of listings.

        On PostgreSQL it runs in autocommit, so the statement costs one round
        trip instead of three (BEGIN, the statement, COMMIT); one statement sees
        one snapshot anyway. SQLite keeps its transaction: there BEGIN is local.
        """
        if self.is_sqlite:
            async with self.engine.begin() as connection:
                yield connection
            return
        async with self.engine.connect() as connection:
            yield await connection.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def reading_session(self) -> AsyncIterator[AsyncSession]:
        """`reading()` for a read of one ORM statement: its rows as mapped objects."""
        async with (
            self.reading() as connection,
            AsyncSession(bind=connection, expire_on_commit=False) as session,
        ):
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def close(self) -> None:
        await self.engine.dispose()
