"""Settings only the users subgraph reads, from the same `SHOPGRAPH_*` variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class UsersSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPGRAPH_", env_file=None, frozen=True)

    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, gt=0)

    login_max_failures: int = Field(default=10, gt=0)
    login_window_seconds: int = Field(default=600, gt=0)
    login_ip_max_failures: int = Field(
        default=20,
        gt=0,
        description="Failed sign-ins from one client address per sliding login window.",
    )
    register_ip_max: int = Field(
        default=20, gt=0, description="Registrations from one client address per hour."
    )
    password_hashing_slots: int | None = Field(
        default=None,
        gt=0,
        description="Password hashes computed at once (argon2 uses its memory each); unset: cores.",
    )
    password_hashing_queue: int | None = Field(
        default=None,
        ge=0,
        description=(
            "Password hashes that may wait for a slot; more are refused with RATE_LIMITED. "
            "Unset: four per slot."
        ),
    )
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
