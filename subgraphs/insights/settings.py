"""Settings of the insights subgraph alone, read from `SHOPGRAPH_*` variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class InsightsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPGRAPH_", env_file=None, frozen=True)

    clickhouse_url: str | None = Field(
        default=None,
        description=(
            "clickhouse://user:password@host:9000/database of the analytics store. "
            "Unset: an embedded SQLite file in the data directory."
        ),
    )
    currency: str = Field(default="USD", description="The currency reports are given in.")
    track_rate_limit: int = Field(default=120, gt=0, description="trackEvent calls per session.")
    track_rate_window_seconds: int = Field(default=60, gt=0)
    # ClickHouse spends about 50 ms of CPU on every insert (facts and the tables its
    # materialized views keep): 12 CPU-us per event in batches of 5,000, 2.7 in 20,000.
    analytics_batch_size: int = Field(default=20_000, gt=0)
    analytics_flush_seconds: float = Field(default=1.0, gt=0)
