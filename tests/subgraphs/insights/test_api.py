"""The insights API in one process: trackEvent reaching the funnel, its rules, and
which callers may read the staff reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from subgraphs.platform.auth import Role
from tests.subgraphs.insights.conftest import InsightsSubgraph, eventually

NOW = datetime.now(UTC)
RANGE = {
    "from": (NOW - timedelta(days=30)).isoformat(),
    "to": (NOW + timedelta(days=1)).isoformat(),
}
FUNNEL = "query F($from: DateTime!, $to: DateTime!) { funnel(from: $from, to: $to) { views addsToCart orders paidOrders } }"

STAFF_QUERIES = {
    "salesReport": "query Q($from: DateTime!, $to: DateTime!) { salesReport(from: $from, to: $to, granularity: HOUR) { bucket orders revenue { amount currency } } }",
    "topProducts": "query Q($from: DateTime!, $to: DateTime!) { topProducts(from: $from, to: $to) { product { id } unitsSold revenue { amount } views } }",
    "funnel": FUNNEL,
    "searchTerms": "query Q($from: DateTime!, $to: DateTime!) { searchTerms(from: $from, to: $to) { query searches zeroResults } }",
    "operationStats": "query Q($from: DateTime!, $to: DateTime!) { operationStats(from: $from, to: $to) { operationName requests errors p95Ms } }",
}
EMPTY: dict[str, Any] = {
    "salesReport": [],
    "topProducts": [],
    "funnel": {"views": 0, "addsToCart": 0, "orders": 0, "paidOrders": 0},
    "searchTerms": [],
    "operationStats": [],
}


@pytest.mark.parametrize("field", sorted(STAFF_QUERIES))
async def test_only_staff_read_reports(insights: InsightsSubgraph, field: str) -> None:
    query = STAFF_QUERIES[field]
    anonymous = await insights.post(query, RANGE)
    customer = await insights.post(query, RANGE, insights.token("u1"))
    staff = await insights.post(query, RANGE, insights.token("s1", Role.STAFF))

    assert (anonymous["data"], [e["extensions"]["code"] for e in anonymous["errors"]]) == (
        None,
        ["UNAUTHENTICATED"],
    )
    assert (customer["data"], [e["extensions"]["code"] for e in customer["errors"]]) == (
        None,
        ["FORBIDDEN"],
    )
    assert staff == {"data": {field: EMPTY[field]}}


async def test_tracked_events_show_up_in_the_funnel(insights: InsightsSubgraph) -> None:
    customer = insights.token("u1")
    assert await insights.track({"type": "PRODUCT_VIEWED", "productId": "p1"}, "s-anon") == {
        "accepted": True,
        "errors": [],
    }
    await insights.track({"type": "PRODUCT_VIEWED", "productId": "p1"}, "s-1", customer)
    await insights.track({"type": "ADDED_TO_CART", "productId": "p1"}, "s-1", customer)
    await insights.track({"type": "SEARCHED", "query": "Desk  Lamp"}, "s-anon")

    staff = insights.token("s1", Role.STAFF)

    async def funnel() -> dict[str, Any]:
        answer: dict[str, Any] = (await insights.post(FUNNEL, RANGE, staff))["data"]["funnel"]
        return answer

    assert await eventually(
        funnel, {"views": 2, "addsToCart": 1, "orders": 0, "paidOrders": 0}
    ) == {
        "views": 2,
        "addsToCart": 1,
        "orders": 0,
        "paidOrders": 0,
    }
    terms = await insights.post(STAFF_QUERIES["searchTerms"], RANGE, staff)
    assert terms == {
        "data": {"searchTerms": [{"query": "desk lamp", "searches": 1, "zeroResults": 0}]}
    }


async def test_track_event_refuses_what_it_cannot_record(insights: InsightsSubgraph) -> None:
    no_session = await insights.track({"type": "PRODUCT_VIEWED", "productId": "p1"})
    no_product = await insights.track({"type": "PRODUCT_VIEWED"}, "s-1")
    no_query = await insights.track({"type": "SEARCHED", "query": "  "}, "s-1")
    signed_in = await insights.track(
        {"type": "PRODUCT_VIEWED", "productId": "p1"}, token=insights.token("u1")
    )

    assert [r["accepted"] for r in (no_session, no_product, no_query, signed_in)] == [
        False,
        False,
        False,
        True,
    ]
    assert [e["code"] for r in (no_session, no_product, no_query) for e in r["errors"]] == [
        "SESSION_REQUIRED",
        "INVALID_INPUT",
        "INVALID_INPUT",
    ]


async def test_track_event_is_rate_limited_per_session(insights: InsightsSubgraph) -> None:
    event = {"type": "PRODUCT_VIEWED", "productId": "p1"}
    first_five = [await insights.track(event, "busy") for _ in range(5)]
    sixth = await insights.track(event, "busy")
    other_session = await insights.track(event, "calm")

    assert all(r["accepted"] for r in first_five)
    assert sixth == {
        "accepted": False,
        "errors": [
            {"field": None, "code": "RATE_LIMITED", "message": "too many events from this session"}
        ],
    }
    assert other_session["accepted"] is True
