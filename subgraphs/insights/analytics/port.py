"""The `AnalyticsStore` port: where facts are kept and the staff reports are computed.

Two stores implement it: `SQLiteAnalyticsStore` (embedded, `shopgraph dev`) and
`ClickHouseAnalyticsStore`. Both keep one copy per fact key however often a
fact is inserted, and answer the same questions the same way:

- sales: paid orders and their revenue, bucketed by the hour or day they were paid;
- top products: units and revenue of order lines of paid orders, and views;
- funnel: distinct sessions that viewed, added to cart, and (through the signed-in
  user seen in the session) ordered and paid;
- search terms: searches and zero-result searches per normalized query;
- operations: requests, failed requests and p95 duration per operation name
  (`quantileExact(0.95)`: the value at position floor(0.95 * n) of the sorted durations).

Time ranges are half-open: [start, end).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from subgraphs.insights.analytics.facts import Fact, Operation


class Granularity(enum.Enum):
    HOUR = "HOUR"
    DAY = "DAY"

    @property
    def seconds(self) -> int:
        return 3600 if self is Granularity.HOUR else 86400


@dataclass(frozen=True)
class SalesPoint:
    bucket: datetime
    orders: int
    revenue: Decimal


@dataclass(frozen=True)
class ProductStat:
    product_id: str
    units_sold: int
    revenue: Decimal
    views: int


@dataclass(frozen=True)
class FunnelCounts:
    views: int
    adds_to_cart: int
    orders: int
    paid_orders: int


@dataclass(frozen=True)
class SearchTermStat:
    query: str
    searches: int
    zero_results: int


@dataclass(frozen=True)
class OperationStat:
    operation_name: str
    requests: int
    errors: int
    p95_ms: float


class AnalyticsStore(Protocol):
    async def create_tables(self) -> None: ...

    async def insert(self, facts: Sequence[Fact], operations: Sequence[Operation] = ()) -> None:
        """Keep these rows; rows whose key is already kept change nothing."""
        ...

    async def sales_report(
        self, start: datetime, end: datetime, granularity: Granularity
    ) -> list[SalesPoint]: ...

    async def top_products(
        self, start: datetime, end: datetime, first: int
    ) -> list[ProductStat]: ...

    async def funnel(self, start: datetime, end: datetime) -> FunnelCounts: ...

    async def search_terms(
        self, start: datetime, end: datetime, first: int
    ) -> list[SearchTermStat]: ...

    async def operation_stats(
        self, start: datetime, end: datetime, first: int
    ) -> list[OperationStat]: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


def money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def rank_products(
    sold: dict[str, tuple[int, int]], views: dict[str, int], first: int
) -> list[ProductStat]:
    """Products by revenue, then units, then views; `sold` maps id to (units, cents)."""
    stats = [
        ProductStat(
            pid, sold.get(pid, (0, 0))[0], money(sold.get(pid, (0, 0))[1]), views.get(pid, 0)
        )
        for pid in set(sold) | set(views)
    ]
    stats.sort(key=lambda s: (-s.revenue, -s.units_sold, -s.views, s.product_id))
    return stats[:first]


def p95(durations: list[float]) -> float:
    """ClickHouse's quantileExact(0.95): the value at floor(0.95 * n) of the sorted list."""
    ordered = sorted(durations)
    return ordered[min(int(0.95 * len(ordered)), len(ordered) - 1)]
