import asyncio

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
import pytest
from sqlalchemy import text

from subgraphs.platform.database import TRUSTED_IDLE_SECONDS, Database, asyncpg_dsn


async def test_sessions_commit_and_roll_back(database: Database) -> None:
    async with database.session() as session:
        await session.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)"))
        await session.execute(text("INSERT INTO note (id, body) VALUES (1, 'kept')"))

    try:
        async with database.session() as session:
            await session.execute(text("INSERT INTO note (id, body) VALUES (2, 'lost')"))
            raise RuntimeError("abort")
    except RuntimeError:
        pass

    async with database.session() as session:
        rows = (await session.execute(text("SELECT id, body FROM note ORDER BY id"))).all()
    assert [tuple(row) for row in rows] == [(1, "kept")]


async def test_reads_see_committed_rows_and_need_no_transaction_on_postgresql(
    database: Database,
) -> None:
    async with database.session() as session:
        await session.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)"))
        await session.execute(text("INSERT INTO note (id, body) VALUES (1, 'kept')"))
    async with database.reading() as connection:
        rows = (await connection.execute(text("SELECT id, body FROM note"))).all()
        assert [tuple(row) for row in rows] == [(1, "kept")]
        if not database.is_sqlite:
            # In autocommit each statement is a transaction of its own: they start apart.
            first = await connection.scalar(text("SELECT transaction_timestamp()"))
            await connection.execute(text("SELECT pg_sleep(0.01)"))
            second = await connection.scalar(text("SELECT transaction_timestamp()"))
            assert first is not None
            assert second is not None
            assert second > first


async def _cut_connections(database: Database) -> int:
    """Ends the server side of every connection the database's pool holds, as a
    PostgreSQL restart does; how many were cut."""
    async with database.engine.connect() as connection:
        pid = await connection.scalar(text("SELECT pg_backend_pid()"))
    admin = await asyncpg.connect(asyncpg_dsn(database.engine.url.render_as_string(False)))
    try:
        cut: int = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid = $1", pid
        )
    finally:
        await admin.close()
    return cut


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_connection_cut_while_idle_is_replaced_before_use(database: Database) -> None:
    # A restarted PostgreSQL leaves the pool holding dead connections: the next
    # read and session after a pause must get live ones, not an error.
    async with database.reading() as connection:
        assert await connection.scalar(text("SELECT 1")) == 1
    assert await _cut_connections(database) == 1
    await asyncio.sleep(TRUSTED_IDLE_SECONDS + 0.1)  # longer than a connection is trusted
    async with database.reading() as connection:
        assert await connection.scalar(text("SELECT 2")) == 2
    assert await _cut_connections(database) == 1
    await asyncio.sleep(TRUSTED_IDLE_SECONDS + 0.1)
    async with database.session() as session:
        assert await session.scalar(text("SELECT 3")) == 3


async def test_reading_sessions_read_mapped_rows_without_a_transaction_on_postgresql(
    database: Database,
) -> None:
    async with database.session() as session:
        await session.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)"))
        await session.execute(text("INSERT INTO note (id, body) VALUES (1, 'kept')"))
    async with database.reading_session() as session:
        rows = (await session.execute(text("SELECT id, body FROM note"))).all()
        assert [tuple(row) for row in rows] == [(1, "kept")]
        if not database.is_sqlite:
            # In autocommit each statement is a transaction of its own: they start apart.
            first = await session.scalar(text("SELECT transaction_timestamp()"))
            await session.execute(text("SELECT pg_sleep(0.01)"))
            second = await session.scalar(text("SELECT transaction_timestamp()"))
            assert first is not None
            assert second is not None
            assert second > first
