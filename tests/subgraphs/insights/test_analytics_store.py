"""Both analytics stores on the same deterministic history give the same reports,
keep one copy of repeated events, and count only what lies in the asked range."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from subgraphs.insights.analytics.clickhouse import ClickHouseAnalyticsStore
from subgraphs.insights.analytics.facts import OPERATION_EXECUTED, facts_of, operation_of
from subgraphs.insights.analytics.port import (
    AnalyticsStore,
    FunnelCounts,
    Granularity,
    OperationStat,
    ProductStat,
    SalesPoint,
    SearchTermStat,
)
from subgraphs.insights.analytics.sqlite import SQLiteAnalyticsStore
from subgraphs.platform.events import Event
from tests.subgraphs.insights.data import T0, history, paid, placed, tracked

DAY = timedelta(days=1)


@pytest.fixture(params=["sqlite", "clickhouse"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AnalyticsStore]:
    if request.param == "sqlite":
        made: AnalyticsStore = SQLiteAnalyticsStore(tmp_path / "analytics.db")
        await made.create_tables()
        yield made
        await made.close()
        return
    url = request.getfixturevalue("clickhouse_url")
    clickhouse = ClickHouseAnalyticsStore(
        f"{url.rstrip('/').rsplit('/', 1)[0]}/test_{secrets.token_hex(4)}"
    )
    await clickhouse.create_tables()
    yield clickhouse
    await clickhouse.drop()
    await clickhouse.close()


async def load(store: AnalyticsStore, events: list[Event]) -> None:
    facts = [f for e in events if e.type != OPERATION_EXECUTED for f in facts_of(e)]
    operations = [operation_of(e) for e in events if e.type == OPERATION_EXECUTED]
    await store.insert(facts, operations)


@pytest.fixture
async def loaded(store: AnalyticsStore) -> AnalyticsStore:
    events = history()
    await load(store, events)
    await load(store, events[:5])  # redelivered orders change nothing
    return store


async def test_sales_report_counts_paid_orders_per_day_and_hour(loaded: AnalyticsStore) -> None:
    day = T0.replace(hour=0, minute=0)
    assert await loaded.sales_report(day, day + DAY, Granularity.DAY) == [
        SalesPoint(day, 2, Decimal("35.50"))
    ]
    assert await loaded.sales_report(day, day + DAY, Granularity.HOUR) == [
        SalesPoint(day.replace(hour=10), 1, Decimal("25.50")),
        SalesPoint(day.replace(hour=11), 1, Decimal("10.00")),
    ]
    assert await loaded.sales_report(day + DAY, day + 2 * DAY, Granularity.DAY) == []


async def test_top_products_rank_by_revenue_of_paid_orders_with_views(
    loaded: AnalyticsStore,
) -> None:
    assert await loaded.top_products(T0 - DAY, T0 + DAY, 10) == [
        ProductStat("p1", 3, Decimal("30.00"), 2),
        ProductStat("p2", 1, Decimal("5.50"), 1),
        ProductStat("p3", 0, Decimal("0.00"), 1),
    ]
    assert [s.product_id for s in await loaded.top_products(T0 - DAY, T0 + DAY, 1)] == ["p1"]


async def test_top_products_order_equal_sales_by_views_past_the_first_places(
    store: AnalyticsStore,
) -> None:
    # p1 outsells the rest; p2, p3 and p4 sold alike, so views order them, and p4's
    # views (repeated in a redelivered batch) lift it above products ranked before it
    # by id. p5 only has views: it comes after everything that sold.
    minute = timedelta(minutes=1)
    events = [
        placed("A", "u1", [("p1", 3, "10.00")], T0),
        paid("A", "u1", "30.00", T0 + minute),
        *(
            placed(o, "u2", [(p, 1, "5.00")], T0)
            for o, p in (("B", "p2"), ("C", "p3"), ("D", "p4"))
        ),
        *(paid(o, "u2", "5.00", T0 + minute) for o in "BCD"),
        *(tracked("product.viewed", f"s{n}", None, T0, productId="p4") for n in range(3)),
        tracked("product.viewed", "s9", None, T0, productId="p3"),
        *(tracked("product.viewed", f"s{n}", None, T0, productId="p5") for n in range(5)),
    ]
    await load(store, events)
    await load(store, events[-9:])

    assert await store.top_products(T0 - DAY, T0 + DAY, 2) == [
        ProductStat("p1", 3, Decimal("30.00"), 0),
        ProductStat("p4", 1, Decimal("5.00"), 3),
    ]
    assert await store.top_products(T0 - DAY, T0 + DAY, 5) == [
        ProductStat("p1", 3, Decimal("30.00"), 0),
        ProductStat("p4", 1, Decimal("5.00"), 3),
        ProductStat("p3", 1, Decimal("5.00"), 1),
        ProductStat("p2", 1, Decimal("5.00"), 0),
        ProductStat("p5", 0, Decimal("0.00"), 5),
    ]


async def test_funnel_counts_distinct_sessions_at_each_step(loaded: AnalyticsStore) -> None:
    assert await loaded.funnel(T0 - DAY, T0 + DAY) == FunnelCounts(3, 2, 2, 1)
    assert await loaded.funnel(T0 + DAY, T0 + 2 * DAY) == FunnelCounts(0, 0, 0, 0)


async def test_funnel_counts_the_asked_seconds_within_and_across_hours(
    loaded: AnalyticsStore,
) -> None:
    # T0 is 10:15. ClickHouse reads whole hours from session_steps and the rest from
    # facts: windows inside one hour, ending on an hour, and cutting two hours.
    minute, second = timedelta(minutes=1), timedelta(seconds=1)
    hour_of_t0 = T0 - 15 * minute
    assert await loaded.funnel(T0, T0 + second) == FunnelCounts(2, 2, 1, 0)
    assert await loaded.funnel(T0 - minute, T0) == FunnelCounts(1, 0, 0, 0)
    assert await loaded.funnel(hour_of_t0, hour_of_t0 + 3 * timedelta(hours=1)) == (
        FunnelCounts(3, 2, 2, 1)
    )
    assert await loaded.funnel(T0 - minute + second, T0 + 2 * minute) == FunnelCounts(2, 2, 1, 0)
    # u3's order at T0 + 2 h lies just past this one.
    assert await loaded.funnel(hour_of_t0 - second, T0 + timedelta(hours=2)) == (
        FunnelCounts(3, 2, 1, 1)
    )


async def test_funnel_pays_count_signed_in_payers_within_the_window_once(
    store: AnalyticsStore,
) -> None:
    # ClickHouse takes the paid step from paid_orders; a guest's payment (no user)
    # counts no session, and one outside the window none either.
    minute = timedelta(minutes=1)
    line = [("p1", 1, "10.00")]
    events = [
        tracked("product.viewed", "s1", "u1", T0, productId="p1"),
        tracked("product.viewed", "s2", None, T0, productId="p1"),
        tracked("product.viewed", "s3", "u3", T0, productId="p1"),
        tracked("product.viewed", "s4", "u1", T0 + minute, productId="p1"),
        placed("A", "u1", line, T0),
        paid("A", "u1", "10.00", T0 + 5 * minute),
        placed("G", "", line, T0),
        paid("G", "", "10.00", T0 + 5 * minute),
        placed("C", "u3", line, T0),
        paid("C", "u3", "10.00", T0 + 2 * DAY),
    ]
    await load(store, events)
    await load(store, events)  # repeats change nothing

    assert await store.funnel(T0 - DAY, T0 + DAY) == FunnelCounts(4, 0, 3, 2)
    assert await store.funnel(T0, T0 + 5 * minute) == FunnelCounts(4, 0, 3, 0)
    assert await store.funnel(T0, T0 + 6 * minute) == FunnelCounts(4, 0, 3, 2)
    assert await store.funnel(T0 - DAY, T0 + 3 * DAY) == FunnelCounts(4, 0, 3, 3)


async def test_search_terms_group_normalized_queries_with_zero_results(
    loaded: AnalyticsStore,
) -> None:
    assert await loaded.search_terms(T0 - DAY, T0 + DAY, 20) == [
        SearchTermStat("lamp", 2, 1),
        SearchTermStat("chair", 1, 0),
    ]


async def test_operation_stats_give_requests_failures_and_p95(loaded: AnalyticsStore) -> None:
    assert await loaded.operation_stats(T0 - DAY, T0 + DAY, 20) == [
        OperationStat("Products", 20, 2, 20.0),
        OperationStat("Me", 1, 1, 5.0),
    ]
