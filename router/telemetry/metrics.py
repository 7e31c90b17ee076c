"""The router's Prometheus metrics, served at /metrics.

One registry per router app (not the process-global one), so tests and
several apps in one process never mix their numbers. Labels stay bounded:
the operation name is the client's (as Apollo reports it), truncated.
`count_active_subscriptions` takes a callable read at scrape time, so the
subscription layer only has to say how many it holds.

Every request counts several series; `labels()` validates and locks each
time, so the labelled children are kept by their label values (the registry
keeps each series for good anyway; nothing here removes one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase

Metric = TypeVar("Metric", bound=MetricWrapperBase)

MAX_NAME_LENGTH = 100
# Seconds: sub-millisecond cache answers up to the subgraph timeout.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RouterMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "shopgraph_router_requests",
            "GraphQL requests answered, by operation name and outcome.",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "shopgraph_router_request_duration_seconds",
            "Time from a GraphQL request read to its response, by operation name and outcome.",
            ["operation", "outcome"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.fetch_seconds = Histogram(
            "shopgraph_router_subgraph_fetch_duration_seconds",
            "Time of one fetch from a subgraph.",
            ["subgraph"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.fetch_errors = Counter(
            "shopgraph_router_subgraph_fetch_errors",
            "Fetches that got no GraphQL response from the subgraph.",
            ["subgraph"],
            registry=self.registry,
        )
        self.cache_lookups = Counter(
            "shopgraph_router_cache_lookups",
            "Lookups in the router's caches (document, plan, apq by hash), hit or miss.",
            ["cache", "result"],
            registry=self.registry,
        )
        self.usage_dropped = Counter(
            "shopgraph_router_usage_dropped",
            "Usage records dropped because the queue to Kafka was full.",
            registry=self.registry,
        )
        self.active_subscriptions = Gauge(
            "shopgraph_router_active_subscriptions",
            "Subscriptions open through the router.",
            registry=self.registry,
        )

        self._children: dict[tuple[MetricWrapperBase, tuple[str, ...]], MetricWrapperBase] = {}

    def _child(self, metric: Metric, *values: str) -> Metric:
        key = (metric, values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child  # type: ignore[return-value]  # what metric.labels returned

    def count_active_subscriptions(self, count: Callable[[], float]) -> None:
        """Read `count()` at every scrape for the active-subscriptions gauge."""
        self.active_subscriptions.set_function(count)

    def observe_request(self, operation: str | None, outcome: str, seconds: float) -> None:
        name = (operation or "")[:MAX_NAME_LENGTH]
        self._child(self.requests, name, outcome).inc()
        self._child(self.request_seconds, name, outcome).observe(seconds)

    def observe_fetch(self, subgraph: str, seconds: float, failed: bool) -> None:
        self._child(self.fetch_seconds, subgraph).observe(seconds)
        if failed:
            self.fetch_errors.labels(subgraph).inc()

    def observe_cache(self, cache: str, hit: bool) -> None:
        self._child(self.cache_lookups, cache, "hit" if hit else "miss").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
