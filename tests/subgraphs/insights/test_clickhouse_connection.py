"""The ClickHouse store's URL: its query string names the connection and sets
ClickHouse settings for every query (what bench/analytics uses to find its queries in
system.query_log)."""

from __future__ import annotations

import secrets

import pytest
from clickhouse_driver import Client

from subgraphs.insights.analytics.clickhouse import ClickHouseAnalyticsStore


def base_of(clickhouse_url: str) -> str:
    return clickhouse_url.rstrip("/").rsplit("/", 1)[0]


async def test_the_query_string_names_the_client_and_sets_settings(clickhouse_url: str) -> None:
    name = f"test-{secrets.token_hex(4)}"
    store = ClickHouseAnalyticsStore(
        f"{base_of(clickhouse_url)}/default?log_queries=1&client_name={name}"
    )
    try:
        await store.ping()
    finally:
        await store.close()
    client = Client.from_url(f"{base_of(clickhouse_url)}/default")
    logged: list[tuple[str]] = []
    try:
        # The server logs a query as finished after it answered: ask until it has.
        for _ in range(50):
            client.execute("SYSTEM FLUSH LOGS")
            logged = client.execute(
                "SELECT query FROM system.query_log WHERE type = 2 AND client_name = %(name)s",
                {"name": f"ClickHouse {name}"},
            )
            if logged:
                break
    finally:
        client.disconnect()
    assert logged == [("SELECT 1",)]


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown ClickHouse settings in the URL: no_such_setting"):
        ClickHouseAnalyticsStore("clickhouse://127.0.0.1:9000/default?no_such_setting=1")
