"""Configuration every shopgraph process shares, read from `SHOPGRAPH_*` variables.

What one subgraph alone reads is in its own `subgraphs/<name>/settings.py`, from
the same variables. Signing keys and the access-token lifetime stay here: every
subgraph verifies tokens with the platform's key ring.

The defaults are the embedded backends (SQLite files under the data directory,
in-process bus, cache and pub/sub), so nothing needs configuring to start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Domain events travel in one topic per subgraph; client tracking events have
# their own topic, as they are many and only the analytics side reads them.
DEFAULT_ROUTES: dict[str, str] = {
    "user.*": "shopgraph.users",
    "product.*": "shopgraph.catalog",
    "stock.*": "shopgraph.catalog",
    "order.*": "shopgraph.commerce",
    "payment.*": "shopgraph.commerce",
    "review.*": "shopgraph.social",
    "product.viewed": "shopgraph.tracking",
    "product.searched": "shopgraph.tracking",
    "product.added_to_cart": "shopgraph.tracking",
    # The router's usage log: one record per operation.
    "operation.*": "shopgraph.usage",
}

# A shorter service token is refused at start: it would be guessable.
SERVICE_TOKEN_MIN_CHARS = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPGRAPH_", env_file=None, frozen=True)

    env: Literal["development", "production"] = Field(
        default="development",
        description="SHOPGRAPH_ENV; production answers no introspection and no 'Did you mean'.",
    )
    data_dir: Path = Field(
        default=Path(".shopgraph"), description="Where embedded backends keep files."
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy async URL, e.g. postgresql+asyncpg://postgres@127.0.0.1/shopgraph. "
            "Each subgraph uses its own schema in it. Unset: one SQLite file per subgraph."
        ),
    )
    redis_url: str | None = Field(
        default=None,
        description="redis://host:port/db for cache, carts, rate limits and pub/sub.",
    )
    # A process keeps its connections and queues for one when all are busy. Overflow
    # connections are closed when handed back to a full pool: under a steady load
    # above the pool size, the checkout bench opened 4-8 PostgreSQL backends a second
    # that way, each a fork, asyncpg's type introspection and every statement
    # prepared again; PostgreSQL's CPU per checkout fell from 12.6-14.2 ms to 3.7-3.9
    # ms with no overflow (10 kept; 5 kept gave 5.2-5.6 ms). compose.yaml gives its
    # lighter processes smaller pools to stay within PostgreSQL's 100 connections.
    database_pool_size: int = Field(
        default=10,
        gt=0,
        description="Connections each process keeps to PostgreSQL, per subgraph database.",
    )
    database_max_overflow: int = Field(
        default=0,
        ge=0,
        description=(
            "Extra connections it may open when all are busy, closed again when handed "
            "back; 0: wait for a kept one instead."
        ),
    )
    redis_max_connections: int = Field(
        default=200,
        gt=0,
        description=(
            "Connections in a process's one Redis pool (cache, pub/sub, carts); each open "
            "subscription holds one."
        ),
    )
    worker_niceness: int = Field(
        default=0,
        ge=0,
        le=19,
        description=(
            "Added to the scheduling niceness of `shopgraph worker` processes, so that on "
            "a host they share with the subgraphs and the router, background work yields "
            "the CPU to requests (containers: give the workers fewer cpu_shares instead)."
        ),
    )
    amqp_url: str | None = Field(
        default=None,
        description=(
            "amqp://user:password@host:port/vhost of RabbitMQ, the event bus between "
            "processes. Unset: an in-process bus (one-process dev mode)."
        ),
    )
    bus_prefetch: int = Field(
        default=16, gt=0, le=1000, description="Unacknowledged deliveries per consumer."
    )
    outbox_relay: Literal["in-process", "worker"] = Field(
        default="in-process",
        description=(
            "Who publishes each subgraph's outbox: its own process, or `shopgraph worker "
            "outbox` processes woken by PostgreSQL NOTIFY (any number of them)."
        ),
    )
    bus_retry_delays_seconds: tuple[float, ...] = Field(
        default=(1.0, 5.0, 30.0, 120.0),
        description=(
            "Waits before each retry of an event a consumer could not handle yet; "
            "after the last one the event goes to the group's dead letters."
        ),
    )

    undeployed_groups: tuple[str, ...] = Field(
        default=(),
        description=(
            "Consumer groups this installation does not run (a subgraph or worker left "
            "out): their queues are not declared, so none fills with events no one reads."
        ),
    )
    kafka_url: str | None = Field(
        default=None,
        description=(
            "host:port[,host:port] of the Kafka brokers, the event log. Unset: no log "
            "(`shopgraph dev` feeds analytics and recommendations in-process)."
        ),
    )
    kafka_routes: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_ROUTES),
        description="Event type pattern -> Kafka topic; types matching none stay off the log.",
    )
    kafka_groups: tuple[str, ...] = Field(
        default=("insights.recommendations",),
        description="Consumer groups that read the Kafka log instead of the queue bus.",
    )
    kafka_compression: Literal["gzip", "snappy", "lz4", "zstd", "none"] = "gzip"
    kafka_idempotence: bool = Field(
        default=True,
        description="Idempotent producer; turn off for brokers without it (tansu).",
    )
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1000)
    tracking_buffer_size: int = Field(
        default=10_000,
        gt=0,
        description="Tracking events held in memory per process; beyond it they are dropped.",
    )
    tracking_batch_size: int = Field(default=500, gt=0)
    tracking_flush_seconds: float = Field(default=0.2, gt=0)

    jwt_private_key: SecretStr | None = Field(
        default=None, description="PEM of the Ed25519 key that signs access tokens (users)."
    )
    jwt_private_key_file: Path | None = Field(
        default=None, description="File holding that PEM; in dev one is generated in data_dir."
    )
    jwt_public_key: str | None = Field(
        default=None, description="PEM of the public key, for processes that only verify tokens."
    )
    jwt_issuer: str = "shopgraph"
    jwt_audience: str = "shopgraph"
    access_token_ttl_seconds: int = Field(default=900, gt=0)

    subgraph_max_tokens: int = Field(
        default=20_000, gt=0, description="Most lexical tokens a subgraph parses in a document."
    )
    subgraph_max_depth: int = Field(default=64, gt=0, description="Deepest field nesting.")
    subgraph_max_aliases: int = Field(default=256, gt=0, description="Most aliased fields.")
    subgraph_max_query_nodes: int = Field(
        default=5_000, gt=0, description="Most field selections once fragments are expanded."
    )
    subgraph_max_cost: int = Field(
        default=50_000, gt=0, description="Highest estimated cost (@cost / @listSize)."
    )

    max_request_bytes: int = Field(default=1_048_576, gt=0, description="Largest accepted body.")
    service_token: SecretStr | None = Field(
        default=None, description="Shared secret for internal service-to-service calls."
    )

    @field_validator("service_token")
    @classmethod
    def _service_token_is_long(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value()) < SERVICE_TOKEN_MIN_CHARS:
            raise ValueError(f"must have at least {SERVICE_TOKEN_MIN_CHARS} characters")
        return token

    @property
    def relay_in_process(self) -> bool:
        return self.outbox_relay == "in-process"

    @property
    def embedded(self) -> bool:
        return self.database_url is None
