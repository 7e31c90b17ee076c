"""Counting the SQL statements a piece of work sends, for query-budget tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

# The outbox relay polls in the background on the subgraph's own engine; its
# statements belong to no request.
BACKGROUND_TABLES = ("outbox",)


@contextmanager
def recorded_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements `engine` executes inside the block (transaction control excluded)."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.split(None, 1)[0].upper() in {"BEGIN", "COMMIT", "ROLLBACK"}:
            return
        if any(
            f"FROM {table}" in statement or f"UPDATE {table}" in statement
            for table in BACKGROUND_TABLES
        ):
            return
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
