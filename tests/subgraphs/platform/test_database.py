from sqlalchemy import text

from subgraphs.platform.database import Database


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
