"""Settings only the commerce subgraph (and its payments worker) reads, from the same
`SHOPGRAPH_*` variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommerceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPGRAPH_", env_file=None, frozen=True)

    catalog_url: str = Field(
        default="http://127.0.0.1:4002/graphql",
        description="The catalog subgraph's GraphQL endpoint, for commerce's internal calls.",
    )
    product_cache_seconds: float = Field(
        default=10.0,
        gt=0,
        description=(
            "How long commerce keeps a product it read from catalog for carts; catalog's "
            "product events refresh it sooner."
        ),
    )
    payments_concurrency: int = Field(
        default=64,
        gt=0,
        le=256,
        description=(
            "Payments the payments worker holds at once; those waiting together are charged, "
            "recorded and moved as one batch, so under load the batches grow instead of the "
            "queue."
        ),
    )
    order_outcome_concurrency: int = Field(
        default=16,
        gt=0,
        le=256,
        description=(
            "Payment outcomes (and `order.placed` events for carts) the order jobs hold at "
            "once; those waiting together are applied as one batch."
        ),
    )
    order_jobs: Literal["in-process", "worker"] = Field(
        default="in-process",
        description=(
            "Who applies the payment outcomes the payments worker left to them, empties "
            "carts on `order.placed` and sweeps expired orders and abandoned holds: the "
            "commerce process itself, or "
            "`shopgraph worker orders` processes (any number of them), so that this work "
            "does not compete with checkouts for the API process."
        ),
    )
    reservation_ttl_seconds: int = Field(
        default=900,
        gt=0,
        description="How long an unpaid order holds its stock before it is cancelled.",
    )
    checkout_hold_seconds: int = Field(
        default=30,
        gt=0,
        description=(
            "How long stock reserved by a checkout that wrote no order (it died or gave up) "
            "stays reserved before the sweeper releases it. Keep it above the catalog call "
            "timeout (10 s): a checkout slower than this fails and is retried."
        ),
    )
