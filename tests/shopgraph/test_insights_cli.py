"""`shopgraph migrate insights` creates the ClickHouse tables; the Kafka-only commands
say what they need when Kafka is not configured."""

from __future__ import annotations

import secrets
from pathlib import Path

from clickhouse_driver import Client
from typer.testing import CliRunner

from shopgraph.cli import app

runner = CliRunner()


def test_migrate_insights_creates_the_analytics_tables(clickhouse_url: str, tmp_path: Path) -> None:
    database = f"test_{secrets.token_hex(4)}"
    url = f"{clickhouse_url.rstrip('/').rsplit('/', 1)[0]}/{database}"
    env = {"SHOPGRAPH_DATA_DIR": str(tmp_path), "SHOPGRAPH_CLICKHOUSE_URL": url}
    client = Client.from_url(clickhouse_url)
    try:
        result = runner.invoke(app, ["migrate", "insights"], env=env)
        assert result.exit_code == 0, result.output
        tables = client.execute(f"SHOW TABLES FROM {database}")
        assert sorted(name for (name,) in tables) == [
            "facts", "operations", "order_lines", "order_lines_feed", "paid_orders",
            "paid_orders_feed", "product_views", "product_views_feed", "session_steps",
            "session_steps_feed",
        ]  # fmt: skip
        again = runner.invoke(app, ["migrate", "insights"], env=env)
        assert again.exit_code == 0, again.output
    finally:
        for view in (
            "order_lines_feed", "paid_orders_feed", "product_views_feed", "session_steps_feed",
        ):  # fmt: skip
            client.execute(f"DROP TABLE IF EXISTS {database}.{view}")  # first, as the store does
        client.execute(f"DROP DATABASE IF EXISTS {database}")
        client.disconnect()


def test_the_analytics_worker_needs_kafka(tmp_path: Path) -> None:
    result = runner.invoke(app, ["worker", "analytics"], env={"SHOPGRAPH_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert "set SHOPGRAPH_KAFKA_URL" in result.output
