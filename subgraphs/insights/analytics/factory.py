"""Which analytics store a process uses: ClickHouse when configured, else embedded SQLite."""

from __future__ import annotations

from subgraphs.insights.analytics.clickhouse import ClickHouseAnalyticsStore
from subgraphs.insights.analytics.port import AnalyticsStore
from subgraphs.insights.analytics.sqlite import SQLiteAnalyticsStore
from subgraphs.insights.settings import InsightsSettings
from subgraphs.platform.settings import Settings


def create_analytics_store(settings: Settings, insights: InsightsSettings) -> AnalyticsStore:
    if insights.clickhouse_url:
        return ClickHouseAnalyticsStore(insights.clickhouse_url)
    return SQLiteAnalyticsStore(settings.data_dir / "insights-analytics.db")
