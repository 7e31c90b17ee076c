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
