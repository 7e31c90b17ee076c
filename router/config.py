"""Configuration of the router process, read from `SHOPGRAPH_ROUTER_*` variables.

Dict settings take JSON, e.g.
`SHOPGRAPH_ROUTER_SUBGRAPH_URLS='{"users": "http://users:4001/graphql"}'`.
Subgraphs are named as in the supergraph's `join__graph(name:)`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field, PositiveFloat, PositiveInt, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    override_labels: frozenset[str] = Field(
        default_factory=frozenset,
        description="Progressive @override labels to treat as on (besides percent(N) ones).",
    )

    jwt_public_key: str | None = Field(
        default=None, description="PEM public key (Ed25519 or RSA) that verifies bearer JWTs."
    )
    jwks_url: str | None = Field(
        default=None, description="JWKS document of the token issuer, fetched once at start."
    )
    jwt_issuer: str | None = Field(default=None, description="Required `iss` of bearer JWTs.")
    jwt_audience: str | None = Field(default=None, description="Required `aud` of bearer JWTs.")

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

    def subgraph_timeout(self, name: str) -> float:
        return self.subgraph_timeouts.get(name, self.default_timeout)
