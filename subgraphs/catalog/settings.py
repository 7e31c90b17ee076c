"""Settings only the catalog subgraph reads, from the same `SHOPGRAPH_*` variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CatalogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPGRAPH_", env_file=None, frozen=True)

    search_backend: Literal["database", "opensearch", "elasticsearch"] = Field(
        default="database", description="Where catalog search runs."
    )
    search_url: str | None = Field(
        default=None, description="URL of the OpenSearch or Elasticsearch server."
    )
