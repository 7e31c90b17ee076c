"""The usage log's field coordinates in the analytics store, on SQLite and ClickHouse
18.16: stored with each operation, and added by `create_tables` to an `operations`
table made before they existed (its old rows read as having none)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clickhouse_driver import Client

from subgraphs.insights.analytics.clickhouse import ClickHouseAnalyticsStore
from subgraphs.insights.analytics.facts import Operation
from subgraphs.insights.analytics.sqlite import SQLiteAnalyticsStore
from tests.subgraphs.insights.test_analytics_worker import store_at

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
OLD_COLUMNS = (
    "id String, occurred_at DateTime, operation_name String, document_hash String, "
    "client_name String, client_version String, duration_ms Float64, error_count UInt32, "
    "user_hash String"
)


def operation(name: str, coordinates: tuple[str, ...]) -> Operation:
    return Operation(str(uuid.uuid4()), AT, name, name.lower(), "web", "1", 3.0, 0, "", coordinates)


async def test_sqlite_keeps_coordinates_and_migrates_an_old_table(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE operations (id TEXT PRIMARY KEY, occurred_at INTEGER NOT NULL, "
            "operation_name TEXT NOT NULL, document_hash TEXT NOT NULL, client_name TEXT NOT "
            "NULL, client_version TEXT NOT NULL, duration_ms REAL NOT NULL, error_count "
            "INTEGER NOT NULL, user_hash TEXT NOT NULL)"
        )
        old.execute("INSERT INTO operations VALUES ('o', 0, 'Old', 'h', '', '', 1, 0, '')")
    old.close()
    store = SQLiteAnalyticsStore(path)
    await store.create_tables()
    await store.insert([], [operation("Me", ("Query.me", "User.name"))])
    await store.close()
    with sqlite3.connect(path) as check:
        rows = check.execute(
            "SELECT operation_name, coordinates FROM operations ORDER BY operation_name"
        ).fetchall()
    check.close()
    assert [(name, json.loads(used)) for name, used in rows] == [
        ("Me", ["Query.me", "User.name"]),
        ("Old", []),
    ]


@pytest.fixture
async def clickhouse(clickhouse_url: str) -> AsyncIterator[ClickHouseAnalyticsStore]:
    store = store_at(clickhouse_url)
    yield store
    await store.drop()
    await store.close()


async def test_clickhouse_keeps_coordinates_and_migrates_an_old_table(
    clickhouse_url: str, clickhouse: ClickHouseAnalyticsStore
) -> None:
    db = clickhouse.database
    client = Client(**clickhouse._connect)  # the same server and credentials
    client.execute(f"CREATE DATABASE {db}")
    client.execute(
        f"CREATE TABLE {db}.operations ({OLD_COLUMNS}) ENGINE = ReplacingMergeTree() "
        "PARTITION BY toYYYYMM(occurred_at) ORDER BY (occurred_at, id)"
    )
    client.execute(
        f"INSERT INTO {db}.operations (id, occurred_at, operation_name, document_hash, "
        "client_name, client_version, duration_ms, error_count, user_hash) VALUES",
        [("o", AT, "Old", "h", "web", "1", 1.0, 0, "")],
    )
    client.disconnect()
    await clickhouse.create_tables()
    await clickhouse.create_tables()  # again: the column is there now
    await clickhouse.insert(
        [],
        [operation("Me", ("Query.me", "User.name")), operation("Me", ("Query.me", "User.id"))],
    )
    assert await clickhouse.seen_operations(AT - HOUR, AT + HOUR) == [
        ("web", "1", "Me", "me", frozenset({"Query.me", "User.name", "User.id"})),
        ("web", "1", "Old", "h", frozenset()),
    ]
