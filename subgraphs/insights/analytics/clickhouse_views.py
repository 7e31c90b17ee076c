"""The narrow tables the staff reports read, kept by materialized views over `facts`.

`facts` is sorted for one kind's time range, which suits a report that reads
every column of a few kinds. Four reports read little of it but paid for
all of it: topProducts ran FINAL over the whole wide sorting key of order
lines and matched order ids as text, and scanned every view of the month for
ten products. Each table here holds one kind, only the columns its reports
read, with 64-bit keys instead of texts, sorted for its report:

- `order_lines`: (occurred_at, event_key, line), order ids as `order_key`;
- `paid_orders`: (occurred_at, event_key), with `order_key` and `user_key`;
- `product_views`: (product_id, occurred_at, event_key), so views of a few
  products are a few index ranges;
- `session_steps`: the funnel's (hour, kind, session_key, user_key) of each view,
  search and cart add. A session lasts minutes, so its many tracking facts become
  a row or two per step: the funnel counts distinct sessions over this set instead
  of over every fact, and reads `facts` only for the parts of its window that do
  not cover whole hours. Hours are Unix seconds divided by 3600, so no time zone
  moves them.

Every row of the first three keeps its fact's key (event_key, line), and each
table is a ReplacingMergeTree on it: a repeated fact, which the view inserts
again, is kept once, exactly as in `facts`. Reads count views with
uniqExact(event_key), which a repeat cannot change, and sum lines and payments
with FINAL. `session_steps` is a set: its view groups each inserted block, the
fill groups all of `facts`, repeats across blocks collapse in merges, and before
them its distinct counts and IN sets are the same, so it is never read with FINAL.

A view copies only what is inserted after it exists, so a database made before
them is filled from `facts` first (`shopgraph migrate insights`, worker
stopped): while a view is missing, its table is created, filled and then the
view made. A run cut short anywhere finds the view missing and fills again;
the repeats are kept once.
"""

from __future__ import annotations

from typing import NamedTuple

from clickhouse_driver import Client

from subgraphs.insights.analytics.facts import FactKind

# The kinds as facts' Enum8 spells them (clickhouse_tables.py), for tables that keep one.
KINDS = ", ".join(f"'{kind.value}' = {number}" for number, kind in enumerate(FactKind, 1))


class DerivedTable(NamedTuple):
    name: str
    columns: str  # the table's columns and types
    order_by: str
    select: str  # the table's rows, selected from facts
    # Rows per index mark: product_views is read by a few short product ranges, and
    # each range reads at least one granule from every part.
    granularity: int = 8192
    month_of: str = "occurred_at"  # the column the table is partitioned by the month of


DERIVED_TABLES = (
    DerivedTable(
        "order_lines",
        "occurred_at DateTime, event_key UInt64, line UInt16, order_key UInt64, "
        "product_id String, quantity Int32, amount_cents Int64",
        "occurred_at, event_key, line",
        "SELECT occurred_at, cityHash64(event_id) AS event_key, line, "
        "cityHash64(order_id) AS order_key, product_id, quantity, amount_cents "
        "FROM {db}.facts WHERE kind = 'order_line'",
    ),
    DerivedTable(
        "paid_orders",
        "occurred_at DateTime, event_key UInt64, order_key UInt64, user_key UInt64, "
        "amount_cents Int64",
        "occurred_at, event_key",
        "SELECT occurred_at, cityHash64(event_id) AS event_key, "
        "cityHash64(order_id) AS order_key, "
        "if(user_id = '', toUInt64(0), cityHash64(user_id)) AS user_key, amount_cents "
        "FROM {db}.facts WHERE kind = 'order_paid'",
    ),
    DerivedTable(
        "product_views",
        "product_id String, occurred_at DateTime, event_key UInt64",
        "product_id, occurred_at, event_key",
        "SELECT product_id, occurred_at, cityHash64(event_id) AS event_key "
        "FROM {db}.facts WHERE kind = 'view'",
        granularity=1024,
    ),
    DerivedTable(
        "session_steps",
        f"hour DateTime, kind Enum8({KINDS}), session_key UInt64, user_key UInt64",
        "hour, kind, session_key, user_key",
        "SELECT toDateTime(intDiv(toUInt32(occurred_at), 3600) * 3600) AS hour, kind, "
        "cityHash64(session_id) AS session_key, cityHash64(user_id) AS user_key "
        "FROM {db}.facts WHERE kind IN ('view', 'search', 'cart_add') "
        "GROUP BY hour, kind, session_key, user_key",
        month_of="hour",
    ),
)


def _exists(client: Client, db: str, table: str) -> bool:
    rows = client.execute(
        "SELECT count() FROM system.tables WHERE database = %(db)s AND name = %(table)s",
        {"db": db, "table": table},
    )
    return bool(rows[0][0])


def create(client: Client, db: str) -> None:
    """Create each derived table and its view, filling the table from `facts` first."""
    for table in DERIVED_TABLES:
        view = f"{table.name}_feed"
        if _exists(client, db, view):
            continue
        client.execute(
            f"CREATE TABLE IF NOT EXISTS {db}.{table.name} ({table.columns}) "
            f"ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM({table.month_of}) "
            f"ORDER BY ({table.order_by}) SETTINGS index_granularity = {table.granularity}"
        )
        select = table.select.format(db=db)
        client.execute(f"INSERT INTO {db}.{table.name} {select}")
        client.execute(f"CREATE MATERIALIZED VIEW {db}.{view} TO {db}.{table.name} AS {select}")


def drop(client: Client, db: str) -> None:
    """Drop the views (not their tables)."""
    for table in DERIVED_TABLES:
        client.execute(f"DROP TABLE IF EXISTS {db}.{table.name}_feed")
