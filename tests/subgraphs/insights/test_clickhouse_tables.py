"""`shopgraph migrate insights` on ClickHouse: a database in the first layout (String kind,
the event id in the sorting key) is brought to the current one with every fact kept,
repeats still kept once, and a migration cut between its renames finishes next time."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from clickhouse_driver import Client

from subgraphs.insights.analytics.clickhouse import ClickHouseAnalyticsStore
from subgraphs.insights.analytics.clickhouse_views import DERIVED_TABLES
from subgraphs.insights.analytics.facts import FACT_COLUMNS, OPERATION_EXECUTED, facts_of
from subgraphs.insights.analytics.port import FunnelCounts, ProductStat
from tests.subgraphs.insights.data import T0, history

DAY = timedelta(days=1)
CURRENT_TABLES = [
    "facts", "operations", "order_lines", "order_lines_feed", "paid_orders",
    "paid_orders_feed", "product_views", "product_views_feed", "session_steps",
    "session_steps_feed",
]  # fmt: skip

# The facts table as the first release of insights created it.
FIRST_LAYOUT = """CREATE TABLE {db}.facts (
    event_id String, line UInt16, kind String, occurred_at DateTime,
    session_id String, user_id String, product_id String, order_id String,
    quantity Int32, amount_cents Int64, query String, results Int32
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (kind, occurred_at, event_id, line)"""


@pytest.fixture
async def database(clickhouse_url: str) -> AsyncIterator[tuple[Client, str]]:
    name = f"test_{secrets.token_hex(4)}"
    client = Client.from_url(f"{clickhouse_url.rstrip('/').rsplit('/', 1)[0]}/default")
    try:
        yield client, name
    finally:
        client.execute(f"DROP DATABASE IF EXISTS {name}")
        client.disconnect()


def store_of(clickhouse_url: str, name: str) -> ClickHouseAnalyticsStore:
    return ClickHouseAnalyticsStore(f"{clickhouse_url.rstrip('/').rsplit('/', 1)[0]}/{name}")


def kept_facts(client: Client, name: str) -> int:
    sql = f"SELECT count() FROM {name}.facts FINAL"  # noqa: S608 - our own test database name
    [(count,)] = client.execute(sql)
    return int(count)


def tables_of(client: Client, name: str) -> list[str]:
    rows = client.execute("SELECT name FROM system.tables WHERE database = %(db)s", {"db": name})
    return sorted(str(table) for (table,) in rows)


def kind_type(client: Client, name: str, table: str = "facts") -> str | None:
    rows = client.execute(
        "SELECT type FROM system.columns WHERE database = %(db)s AND table = %(t)s "
        "AND name = 'kind'",
        {"db": name, "t": table},
    )
    return str(rows[0][0]) if rows else None


async def test_first_layout_is_copied_into_the_current_one(
    database: tuple[Client, str], clickhouse_url: str
) -> None:
    client, name = database
    client.execute(f"CREATE DATABASE {name}")
    client.execute(FIRST_LAYOUT.format(db=name))
    rows = [f.row() for e in history() if e.type != OPERATION_EXECUTED for f in facts_of(e)]
    client.execute(f"INSERT INTO {name}.facts ({FACT_COLUMNS}) VALUES", rows)
    client.execute(f"INSERT INTO {name}.facts ({FACT_COLUMNS}) VALUES", rows[:4])  # a repeat

    store = store_of(clickhouse_url, name)
    try:
        await store.create_tables()
        await store.create_tables()  # a second run changes nothing

        assert kind_type(client, name).startswith("Enum8(")  # type: ignore[union-attr]
        assert kept_facts(client, name) == len(rows)
        assert await store.top_products(T0 - DAY, T0 + DAY, 10) == [
            ProductStat("p1", 3, Decimal("30.00"), 2),
            ProductStat("p2", 1, Decimal("5.50"), 1),
            ProductStat("p3", 0, Decimal("0.00"), 1),
        ]
        assert await store.funnel(T0 - DAY, T0 + DAY) == FunnelCounts(3, 2, 2, 1)
        assert tables_of(client, name) == CURRENT_TABLES
    finally:
        await store.close()


async def test_a_migration_cut_between_its_renames_finishes(
    database: tuple[Client, str], clickhouse_url: str
) -> None:
    client, name = database
    store = store_of(clickhouse_url, name)
    try:
        await store.create_tables()
        rows = [f.row() for e in history() if e.type != OPERATION_EXECUTED for f in facts_of(e)]
        client.execute(f"INSERT INTO {name}.facts ({FACT_COLUMNS}) VALUES", rows)
        # As after `RENAME facts TO facts_previous` with the second rename not done:
        client.execute(f"RENAME TABLE {name}.facts TO {name}.facts_next")
        client.execute(FIRST_LAYOUT.format(db=name).replace(".facts", ".facts_previous"))

        await store.create_tables()

        assert kept_facts(client, name) == len(rows)
        assert tables_of(client, name) == CURRENT_TABLES
    finally:
        await store.close()


async def test_facts_from_before_the_report_tables_fill_them_and_new_facts_follow(
    database: tuple[Client, str], clickhouse_url: str
) -> None:
    client, name = database
    store = store_of(clickhouse_url, name)
    events = [e for e in history() if e.type != OPERATION_EXECUTED]
    rows = [f.row() for e in events for f in facts_of(e)]
    try:
        await store.create_tables()
        # The layout before the report tables: facts and operations only.
        for table in ("order_lines", "paid_orders", "product_views", "session_steps"):
            client.execute(f"DROP TABLE {name}.{table}_feed")
            client.execute(f"DROP TABLE {name}.{table}")
        client.execute(f"INSERT INTO {name}.facts ({FACT_COLUMNS}) VALUES", rows[:-3])
        # A migration cut after it filled one table but before it made its view:
        lines = DERIVED_TABLES[0]
        client.execute(
            f"CREATE TABLE {name}.{lines.name} ({lines.columns}) ENGINE = ReplacingMergeTree() "
            f"PARTITION BY toYYYYMM(occurred_at) ORDER BY ({lines.order_by})"
        )
        client.execute(f"INSERT INTO {name}.{lines.name} {lines.select.format(db=name)}")

        await store.create_tables()
        await store.create_tables()  # a second run changes nothing
        # Facts inserted after the migration reach the report tables through the views,
        # and repeats stay single.
        client.execute(f"INSERT INTO {name}.facts ({FACT_COLUMNS}) VALUES", rows[-3:])
        client.execute(f"INSERT INTO {name}.facts ({FACT_COLUMNS}) VALUES", rows[:6])

        assert tables_of(client, name) == CURRENT_TABLES
        assert await store.top_products(T0 - DAY, T0 + DAY, 10) == [
            ProductStat("p1", 3, Decimal("30.00"), 2),
            ProductStat("p2", 1, Decimal("5.50"), 1),
            ProductStat("p3", 0, Decimal("0.00"), 1),
        ]
        assert await store.funnel(T0 - DAY, T0 + DAY) == FunnelCounts(3, 2, 2, 1)
    finally:
        await store.close()
