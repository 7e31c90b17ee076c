"""Settings only the social subgraph reads, from the same `SHOPGRAPH_*` variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SocialSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPGRAPH_", env_file=None, frozen=True)

    review_rate_limit: int = Field(
        default=20, gt=0, description="Reviews one user may add per window."
    )
    review_rate_window_seconds: int = Field(
        default=3600, gt=0, description="The window of that limit, in seconds."
    )
