"""Staff reports: who may ask, what ranges make sense, and the store that answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from subgraphs.insights.analytics.port import (
    FunnelCounts,
    Granularity,
    OperationStat,
    ProductStat,
    SalesPoint,
    SearchTermStat,
)
from subgraphs.insights.errors import InsightsErrorCode
from subgraphs.platform.errors import DomainError

if TYPE_CHECKING:
    from subgraphs.insights.services import InsightsServices

MAX_FIRST = 100
# An hourly report over years would be a huge answer; days keep it in bounds.
MAX_BUCKETS = 24 * 400


def _check_range(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise DomainError(InsightsErrorCode.INVALID_INPUT, "give times with a zone", ["from"])
    if end <= start:
        raise DomainError(InsightsErrorCode.INVALID_INPUT, "`to` must be after `from`", ["to"])


def _check_first(first: int) -> None:
    if not 1 <= first <= MAX_FIRST:
        raise DomainError(
            InsightsErrorCode.INVALID_INPUT, f"first must be 1 to {MAX_FIRST}", ["first"]
        )


async def sales_report(
    services: InsightsServices, start: datetime, end: datetime, granularity: Granularity
) -> list[SalesPoint]:
    _check_range(start, end)
    if (end - start) / timedelta(seconds=granularity.seconds) > MAX_BUCKETS:
        raise DomainError(InsightsErrorCode.INVALID_INPUT, "too many buckets", ["granularity"])
    return await services.store.sales_report(start, end, granularity)


async def top_products(
    services: InsightsServices, start: datetime, end: datetime, first: int
) -> list[ProductStat]:
    _check_range(start, end)
    _check_first(first)
    return await services.store.top_products(start, end, first)


async def funnel(services: InsightsServices, start: datetime, end: datetime) -> FunnelCounts:
    _check_range(start, end)
    return await services.store.funnel(start, end)


async def search_terms(
    services: InsightsServices, start: datetime, end: datetime, first: int
) -> list[SearchTermStat]:
    _check_range(start, end)
    _check_first(first)
    return await services.store.search_terms(start, end, first)


async def operation_stats(
    services: InsightsServices, start: datetime, end: datetime, first: int
) -> list[OperationStat]:
    _check_range(start, end)
    _check_first(first)
    return await services.store.operation_stats(start, end, first)
