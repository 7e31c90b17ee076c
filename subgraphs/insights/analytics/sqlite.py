"""`SQLiteAnalyticsStore`: the embedded analytics store of `shopgraph dev`.

One SQLite file of its own (not the subgraph's database: analytics is a copy
of the event log that can be rebuilt). A fact's key is its primary key and
rows are inserted with OR IGNORE, so repeats change nothing. sqlite3 calls run
in a worker thread, one at a time.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from subgraphs.insights.analytics.facts import (
    OPERATION_COLUMNS,
    Fact,
    FactKind,
    Operation,
)
from subgraphs.insights.analytics.port import (
    FunnelCounts,
    Granularity,
    OperationStat,
    ProductStat,
    SalesPoint,
    SearchTermStat,
    money,
    p95,
    rank_products,
)

_T = TypeVar("_T")

# A JSON array of text: SQLite has no array type.
COORDINATES_COLUMN = "coordinates TEXT NOT NULL DEFAULT '[]'"
SCHEMA = """
CREATE TABLE IF NOT EXISTS facts (
    event_id TEXT NOT NULL, line INTEGER NOT NULL, kind TEXT NOT NULL,
    occurred_at INTEGER NOT NULL, session_id TEXT NOT NULL, user_id TEXT NOT NULL,
    product_id TEXT NOT NULL, order_id TEXT NOT NULL, quantity INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL, query TEXT NOT NULL, results INTEGER NOT NULL,
    PRIMARY KEY (event_id, line)
);
CREATE INDEX IF NOT EXISTS ix_facts_kind_time ON facts (kind, occurred_at);
CREATE TABLE IF NOT EXISTS operations (
    id TEXT PRIMARY KEY, occurred_at INTEGER NOT NULL, operation_name TEXT NOT NULL,
    document_hash TEXT NOT NULL, client_name TEXT NOT NULL, client_version TEXT NOT NULL,
    duration_ms REAL NOT NULL, error_count INTEGER NOT NULL, user_hash TEXT NOT NULL,
    coordinates TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS ix_operations_time ON operations (occurred_at);
"""

# The columns are named: a migrated table has `coordinates` last, a new one too.
_INSERT_OPERATION = (
    f"INSERT OR IGNORE INTO operations ({OPERATION_COLUMNS}) "  # noqa: S608 - constant names
    "VALUES (?,?,?,?,?,?,?,?,?,?)"
)

_ORDERED_BY = """
SELECT COUNT(DISTINCT session_id) FROM facts
WHERE kind IN ('view', 'search', 'cart_add') AND occurred_at >= ? AND occurred_at < ?
  AND user_id != '' AND user_id IN (
    SELECT user_id FROM facts WHERE kind = ? AND occurred_at >= ? AND occurred_at < ?)
"""


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


class SQLiteAnalyticsStore:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    async def _run(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        async with self._lock:
            if self._connection is None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                self._connection = await asyncio.to_thread(
                    sqlite3.connect, str(self._path), check_same_thread=False
                )
            connection = self._connection
            return await asyncio.to_thread(work, connection)

    async def create_tables(self) -> None:
        def create(connection: sqlite3.Connection) -> None:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)
            columns = {row[1] for row in connection.execute("PRAGMA table_info(operations)")}
            if "coordinates" not in columns:  # a store made before the usage log had them
                connection.execute(f"ALTER TABLE operations ADD COLUMN {COORDINATES_COLUMN}")

        await self._run(create)

    async def insert(self, facts: Sequence[Fact], operations: Sequence[Operation] = ()) -> None:
        fact_rows = [f.row() for f in facts]
        operation_rows = [(*o.row()[:-1], json.dumps(o.coordinates)) for o in operations]

        def insert(connection: sqlite3.Connection) -> None:
            with connection:
                connection.executemany(
                    "INSERT OR IGNORE INTO facts VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", fact_rows
                )
                connection.executemany(_INSERT_OPERATION, operation_rows)

        await self._run(insert)

    async def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return await self._run(lambda c: c.execute(sql, params).fetchall())

    async def sales_report(
        self, start: datetime, end: datetime, granularity: Granularity
    ) -> list[SalesPoint]:
        step = granularity.seconds
        rows = await self._rows(
            "SELECT (occurred_at / ?) * ? AS bucket, COUNT(*), SUM(amount_cents) FROM facts "
            "WHERE kind = ? AND occurred_at >= ? AND occurred_at < ? "
            "GROUP BY bucket ORDER BY bucket",
            step, step, FactKind.ORDER_PAID.value, _seconds(start), _seconds(end),
        )  # fmt: skip
        return [SalesPoint(datetime.fromtimestamp(b, UTC), n, money(c)) for b, n, c in rows]

    async def top_products(self, start: datetime, end: datetime, first: int) -> list[ProductStat]:
        window = (_seconds(start), _seconds(end))
        sold = await self._rows(
            "SELECT product_id, SUM(quantity), SUM(amount_cents) FROM facts "
            "WHERE kind = 'order_line' AND occurred_at >= ? AND occurred_at < ? "
            "AND order_id IN (SELECT order_id FROM facts WHERE kind = 'order_paid') "
            "GROUP BY product_id",
            *window,
        )
        views = await self._rows(
            "SELECT product_id, COUNT(*) FROM facts "
            "WHERE kind = 'view' AND occurred_at >= ? AND occurred_at < ? GROUP BY product_id",
            *window,
        )
        return rank_products({p: (u, c) for p, u, c in sold}, dict(views), first)

    async def funnel(self, start: datetime, end: datetime) -> FunnelCounts:
        window = (_seconds(start), _seconds(end))
        [(views, adds)] = await self._rows(
            "SELECT COUNT(DISTINCT CASE WHEN kind = 'view' THEN session_id END), "
            "COUNT(DISTINCT CASE WHEN kind = 'cart_add' THEN session_id END) FROM facts "
            "WHERE kind IN ('view', 'cart_add') AND occurred_at >= ? AND occurred_at < ?",
            *window,
        )
        [(ordered,)] = await self._rows(_ORDERED_BY, *window, "order_placed", *window)
        [(paid,)] = await self._rows(_ORDERED_BY, *window, "order_paid", *window)
        return FunnelCounts(views, adds, ordered, paid)

    async def search_terms(
        self, start: datetime, end: datetime, first: int
    ) -> list[SearchTermStat]:
        rows = await self._rows(
            "SELECT query, COUNT(*) AS searches, SUM(results = 0) FROM facts "
            "WHERE kind = 'search' AND occurred_at >= ? AND occurred_at < ? "
            "GROUP BY query ORDER BY searches DESC, query LIMIT ?",
            _seconds(start), _seconds(end), first,
        )  # fmt: skip
        return [SearchTermStat(q, n, z) for q, n, z in rows]

    async def operation_stats(
        self, start: datetime, end: datetime, first: int
    ) -> list[OperationStat]:
        rows = await self._rows(
            "SELECT operation_name, duration_ms, error_count FROM operations "
            "WHERE occurred_at >= ? AND occurred_at < ?",
            _seconds(start), _seconds(end),
        )  # fmt: skip
        grouped: dict[str, list[tuple[float, int]]] = {}
        for name, duration, errors in rows:
            grouped.setdefault(name, []).append((duration, errors))
        stats = [
            OperationStat(
                name,
                len(runs),
                sum(1 for _, errors in runs if errors > 0),
                p95([duration for duration, _ in runs]),
            )
            for name, runs in grouped.items()
        ]
        stats.sort(key=lambda s: (-s.requests, s.operation_name))
        return stats[:first]

    async def ping(self) -> None:
        await self._rows("SELECT 1")

    async def close(self) -> None:
        async with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
