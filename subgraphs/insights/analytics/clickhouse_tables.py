"""The ClickHouse tables of the analytics store, and the migration of older layouts.

`facts` is sorted by (kind, occurred_at, event_key, line): a report reads one
kind's time range, and ReplacingMergeTree keeps one row per key, so a repeated
event (same id, so same key) is kept once. The kind is an Enum8 and the event,
session and user ids also live as 64-bit cityHash64 keys computed by the server
(MATERIALIZED, so inserts do not send them): FINAL merges and distinct counts
compare 8-byte integers instead of 36-character texts, which roughly halves
their cost. Two different events collide only with the same kind, second, line
and 64-bit hash.

The first layout (String kind, the event id itself in the key) is copied into
the current one by `create`, which runs from `shopgraph migrate insights`; run
it with the analytics worker stopped, since rows inserted into the old table
during the copy would stay behind. Each step can be repeated after a crash.
"""

from __future__ import annotations

from clickhouse_driver import Client

from subgraphs.insights.analytics import clickhouse_views
from subgraphs.insights.analytics.clickhouse_views import KINDS as _KINDS
from subgraphs.insights.analytics.facts import FACT_COLUMNS

_FACT_TABLE = """CREATE TABLE IF NOT EXISTS {table} (
    event_id String, line UInt16, kind Enum8({kinds}), occurred_at DateTime,
    session_id String, user_id String, product_id String, order_id String,
    quantity Int32, amount_cents Int64, query String, results Int32,
    event_key UInt64 MATERIALIZED cityHash64(event_id),
    session_key UInt64 MATERIALIZED cityHash64(session_id),
    user_key UInt64 MATERIALIZED cityHash64(user_id)
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (kind, occurred_at, event_key, line)"""

_OPERATION_TABLE = """CREATE TABLE IF NOT EXISTS {db}.operations (
    id String, occurred_at DateTime, operation_name String, document_hash String,
    client_name String, client_version String, duration_ms Float64,
    error_count UInt32, user_hash String, coordinates Array(String)
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (occurred_at, id)"""

_COLUMN_TYPE = (
    "SELECT type FROM system.columns "
    "WHERE database = %(db)s AND table = %(table)s AND name = %(column)s"
)


def _column_type(client: Client, db: str, table: str, column: str) -> str | None:
    rows = client.execute(_COLUMN_TYPE, {"db": db, "table": table, "column": column})
    return str(rows[0][0]) if rows else None


def create(client: Client, db: str) -> None:
    """Create the database and tables, or bring older tables to the current layout."""
    client.execute(f"CREATE DATABASE IF NOT EXISTS {db}")
    # A migration cut short: between its two renames the full copy is `facts_next`;
    # before them the copy is redone from the start; after them the old table goes.
    if _column_type(client, db, "facts", "kind") is None and _column_type(
        client, db, "facts_next", "kind"
    ):
        client.execute(f"RENAME TABLE {db}.facts_next TO {db}.facts")
    client.execute(f"DROP TABLE IF EXISTS {db}.facts_next")
    client.execute(f"DROP TABLE IF EXISTS {db}.facts_previous")
    if _column_type(client, db, "facts", "kind") == "String":
        _copy_first_layout(client, db)
    client.execute(_FACT_TABLE.format(table=f"{db}.facts", kinds=_KINDS))
    clickhouse_views.create(client, db)
    client.execute(_OPERATION_TABLE.format(db=db))
    # 18.16 has no ADD COLUMN IF NOT EXISTS: a table made before the usage log had
    # coordinates gets the column when system.columns lacks it.
    if _column_type(client, db, "operations", "coordinates") is None:
        client.execute(f"ALTER TABLE {db}.operations ADD COLUMN coordinates Array(String)")


def _copy_first_layout(client: Client, db: str) -> None:
    client.execute(_FACT_TABLE.format(table=f"{db}.facts_next", kinds=_KINDS))
    client.execute(
        f"INSERT INTO {db}.facts_next ({FACT_COLUMNS}) SELECT {FACT_COLUMNS} FROM {db}.facts"
    )
    client.execute(f"RENAME TABLE {db}.facts TO {db}.facts_previous, {db}.facts_next TO {db}.facts")
    client.execute(f"DROP TABLE {db}.facts_previous")
