"""Configuration of the router process, read from `SHOPGRAPH_ROUTER_*` variables.

Dict settings take JSON, e.g.
`SHOPGRAPH_ROUTER_SUBGRAPH_URLS='{"users": "http://users:4001/graphql"}'`.
Subgraphs are named as in the supergraph's `join__graph(name:)`.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from router.execution.headers import HeaderRule
from router.operation.trusted import TrustedDocumentsMode


class RouterConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPGRAPH_ROUTER_", env_file=None, frozen=True)

    subgraph_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Subgraph name -> URL, replacing the URL written in the supergraph.",
    )
    subgraph_timeouts: dict[str, PositiveFloat] = Field(
        default_factory=dict, description="Subgraph name -> seconds a fetch to it may take."
    )
    default_timeout: PositiveFloat = Field(
        default=30.0, description="Seconds a subgraph fetch may take unless set per subgraph."
    )
    subgraph_pool_size: PositiveInt = Field(
        default=100, description="Open connections kept per subgraph."
    )
    forward_headers: tuple[str, ...] = Field(
        default=("authorization",),
        description="Client request headers passed on to every subgraph fetch.",
    )
    trusted_proxies: tuple[str, ...] = Field(
        default=(),
        description="Addresses or networks (CIDR) of the proxies in front of the router whose "
        "X-Forwarded-For is believed; subgraphs get the client address it names (unset: the "
        "TCP peer is the client).",
    )
    header_rules: dict[str, tuple[HeaderRule, ...]] = Field(
        default_factory=dict,
        description="Subgraph name (or `all`) -> rules run in order after forward_headers: "
        "`{propagate: NAME, rename: NEW, default: VALUE}`, `{insert: NAME, value: VALUE}`, "
        "`{remove: NAME}`.",
    )

    document_cache_size: PositiveInt = Field(
        default=1000, description="Parsed and validated documents kept (LRU)."
    )
    plan_cache_size: PositiveInt = Field(default=1000, description="Query plans kept (LRU).")
    planning_timeout_seconds: PositiveFloat = Field(
        default=1.0,
        description="Seconds planning one operation may take (then QUERY_PLANNING_FAILED).",
    )

    max_tokens: PositiveInt = Field(
        default=15_000, description="Most lexical tokens a document may have."
    )
    max_depth: PositiveInt = Field(
        default=50, description="Deepest nesting of fields an operation may select."
    )
    max_aliases: PositiveInt = Field(
        default=200, description="Most aliased fields an operation may select (fragments counted)."
    )
    max_query_nodes: PositiveInt = Field(
        default=4_000,
        description="Most field selections an operation may have once its fragments are expanded.",
    )
    max_mutation_root_fields: PositiveInt = Field(
        default=5,
        description="Most root fields one mutation may run (aliases multiply actions).",
    )
    max_cost: PositiveInt = Field(
        default=10_000,
        description="Highest estimated cost (@cost / @listSize, demand control) an operation "
        "may have.",
    )
    cost_list_size: PositiveInt = Field(
        default=10,
        description="Size assumed for a list field without @listSize or slicing argument.",
    )
    max_body_bytes: PositiveInt = Field(
        default=1_048_576, description="Largest accepted request body."
    )
    batching: bool = Field(
        default=False, description="Accept a JSON array of operations in one POST (a batch)."
    )
    max_batch_size: PositiveInt = Field(
        default=10, description="Most operations one batch may hold."
    )
    query_deduplication: bool = Field(
        default=True,
        description="Identical queries in flight at once (same document, operation, "
        "variables, Authorization and every header sent on to a subgraph) run once and "
        "share the answer; never mutations, never after a mutation ended meanwhile.",
    )

    override_labels: frozenset[str] = Field(
        default_factory=frozenset,
        description="Progressive @override labels to treat as on (besides percent(N) ones).",
    )

    jwt_public_key: str | None = Field(
        default=None, description="PEM public key (Ed25519 or RSA) that verifies bearer JWTs."
    )
    jwks_url: str | None = Field(
        default=None,
        description="JWKS document of the token issuer: fetched at start, every "
        "`jwks_refresh_seconds`, and when a token names an unknown `kid`.",
    )
    jwks_refresh_seconds: PositiveFloat = Field(
        default=300.0, description="Seconds between periodic fetches of the JWKS."
    )
    jwks_min_refetch_seconds: PositiveFloat = Field(
        default=10.0,
        description="Least seconds between two fetches caused by tokens with an unknown `kid`.",
    )
    jwt_issuer: str | None = Field(default=None, description="Required `iss` of bearer JWTs.")
    jwt_audience: str | None = Field(default=None, description="Required `aud` of bearer JWTs.")

    cors_origins: tuple[str, ...] = Field(
        default=(),
        description="Origins whose pages may read the router's answers (CORS), e.g. "
        '["https://shop.example.com"].',
    )
    cors_allow_localhost: bool = Field(
        default=False, description="Also allow pages served from localhost on any port (dev)."
    )
    cors_allow_credentials: bool = Field(
        default=False, description="Let allowed origins send cookies and read the answers."
    )
    cors_max_age_seconds: PositiveInt = Field(
        default=600, description="Seconds a browser may cache a CORS preflight answer."
    )
    csrf_prevention: bool = Field(
        default=True,
        description="Refuse requests a browser sends without a preflight (GET, or a simple "
        "content type) unless one of `csrf_required_headers` is present.",
    )
    csrf_required_headers: tuple[str, ...] = Field(
        default=("x-apollo-operation-name", "apollo-require-preflight"),
        description="Headers that let a request without a non-simple content type through.",
    )

    apq: bool = Field(
        default=True,
        description="Accept automatic persisted queries (extensions.persistedQuery).",
    )
    apq_redis_url: str | None = Field(
        default=None,
        description="Redis that keeps persisted queries for every worker and replica "
        "(unset: an in-memory LRU per process).",
    )
    apq_cache_size: PositiveInt = Field(
        default=10_000, description="Persisted queries kept in memory (LRU), without Redis."
    )
    apq_ttl_seconds: PositiveInt = Field(
        default=86_400, description="Seconds Redis keeps an unused persisted query."
    )
    supergraph_poll_seconds: float = Field(
        default=2.0,
        ge=0,
        description="Seconds between checks of the supergraph file for a new version "
        "(0: never reload).",
    )
    drain_seconds: PositiveFloat = Field(
        default=60.0,
        description="Seconds requests and subscriptions still running on a replaced "
        "supergraph, or requests at shutdown, may take before they are ended.",
    )

    metrics: bool = Field(default=True, description="Serve Prometheus metrics at /metrics.")
    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP collector that gets the router's traces, e.g. "
        "http://otel-collector:4318 (unset: no traces).",
    )
    service_name: str = Field(
        default="shopgraph-router", description="`service.name` of the router's traces."
    )

    graphiql: bool = Field(default=True, description="Serve GraphiQL to browsers at /graphql.")
    env: Literal["development", "production"] = Field(
        default="development",
        # The one switch the whole platform shares, not a router-only setting.
        validation_alias=AliasChoices("env", "SHOPGRAPH_ENV"),
        description="SHOPGRAPH_ENV; production turns introspection and suggestions off.",
    )
    introspection: bool = Field(
        default=True, description="Answer __schema and __type (default off in production)."
    )
    suggestions: bool = Field(
        default=True,
        description='"Did you mean" hints in errors (default off in production: they name '
        "fields a caller has not found).",
    )

    @model_validator(mode="before")
    @classmethod
    def _production_defaults(cls, data: Any) -> Any:
        # Defaults only: an explicit SHOPGRAPH_ROUTER_INTROSPECTION still wins.
        if isinstance(data, dict):
            env = next((v for k, v in data.items() if k.lower() in ("env", "shopgraph_env")), None)
            if env == "production":
                return {"introspection": False, "suggestions": False, **data}
        return data

    # Trusted documents (schema registry).
    trusted_documents: TrustedDocumentsMode = Field(
        default=TrustedDocumentsMode.ALLOW,
        description="off, allow (trusted ids plus any document) or enforce (trusted ids only).",
    )
    trusted_documents_manifest: Path | None = Field(
        default=None, description="manifest.json of `shopgraph schema operations build`."
    )
    rest_config: Path | None = Field(
        default=None, description="rest.yaml: REST paths that run trusted documents."
    )
    storefront_dir: Path | None = Field(
        default=None,
        description="Serve this storefront directory at / (see router.http.storefront).",
    )

    # The usage log (insights' `operationStats`, `schema check --usage`).
    usage_kafka_url: str | None = Field(
        default=None,
        description="Kafka (`kafka://host:port`) that gets one usage record per operation "
        "(unset: no usage log).",
    )
    usage_kafka_topic: str = Field(
        default="shopgraph.usage", description="Kafka topic of the usage records."
    )
    usage_queue_size: PositiveInt = Field(
        default=10_000,
        description="Usage records waiting for Kafka; more are dropped and counted.",
    )

    # Subscriptions.
    subscription_heartbeat_seconds: PositiveFloat = Field(
        default=10.0,
        description="Seconds between heartbeats on an idle subscription (WebSocket ping, SSE "
        "comment, empty multipart part).",
    )
    subscription_buffer_size: PositiveInt = Field(
        default=64,
        description="Events kept for one subscriber that reads too slowly; one more closes it.",
    )
    max_subscription_connections: PositiveInt = Field(
        default=10_000,
        description="Most subscription connections (WebSockets, SSE and multipart streams) open "
        "at once; more are refused.",
    )
    subscription_init_timeout_seconds: PositiveFloat = Field(
        default=5.0, description="Seconds a WebSocket may take to send connection_init."
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, proxies: tuple[str, ...]) -> tuple[str, ...]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError as error:
                raise ValueError(f"{proxy!r} is not an IP address or network") from error
        return proxies

    def subgraph_timeout(self, name: str) -> float:
        return self.subgraph_timeouts.get(name, self.default_timeout)
