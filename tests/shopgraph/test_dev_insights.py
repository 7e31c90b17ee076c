"""Insights in `shopgraph dev`, through the router: three real checkouts make
frequentlyBoughtTogether and salesReport right within seconds, a tracked view shows up in
the funnel, and catalog's searches in searchTerms, zero-result ones counted (in-process
bus, SQLite analytics store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.keys import load_key_pair
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.platform.settings import Settings
from tests.shopgraph.test_dev_shopping import ADD, ORDER, Customer
from tests.subgraphs.insights.conftest import eventually

NOW = datetime.now(UTC)
RANGE = {"from": (NOW - timedelta(days=1)).isoformat(), "to": (NOW + timedelta(days=1)).isoformat()}


async def test_checkouts_and_tracking_reach_recommendations_and_reports(
    dev: httpx.AsyncClient, settings: Settings
) -> None:
    staff = Customer(dev)
    staff.token = AccessTokens(load_key_pair(settings), settings).issue(
        Principal("staff-1", Role.STAFF)
    )
    query = "{ products(first: 3, filter: { inStock: true }) { edges { node { id price { amount } } } } }"
    x, y, z = [edge["node"] for edge in (await staff.call(query))["products"]["edges"]]
    totals = []
    for n, basket in enumerate([(x, y), (x, y), (x, z)]):
        shopper = Customer(dev)
        await shopper.register(f"shopper{n}")
        for product in basket:
            await shopper.call(ADD, {"id": product["id"], "quantity": 1})
        order_id = await shopper.checkout(f"key-{n}", "4242424242424242")
        assert (await shopper.statuses_until(order_id, "PAID"))[-1] == "PAID"
        assert (await shopper.call(ORDER, {"id": order_id}))["order"]["status"] == "PAID"
        totals.append(sum(Decimal(p["price"]["amount"]) for p in basket))

    together = "query P($id: ID!) { product(id: $id) { frequentlyBoughtTogether { id } } }"

    async def bought_with_x() -> Any:
        return (await staff.call(together, {"id": x["id"]}))["product"]

    assert await eventually(
        bought_with_x, {"frequentlyBoughtTogether": [{"id": y["id"]}, {"id": z["id"]}]}
    ) == {"frequentlyBoughtTogether": [{"id": y["id"]}, {"id": z["id"]}]}

    sales = "query S($from: DateTime!, $to: DateTime!) { salesReport(from: $from, to: $to) { orders revenue { amount } } }"

    async def report() -> Any:
        points = (await staff.call(sales, RANGE))["salesReport"]
        return [(p["orders"], Decimal(p["revenue"]["amount"])) for p in points]

    assert await eventually(report, [(3, sum(totals))]) == [(3, sum(totals))]

    track = "mutation T($input: TrackEventInput!) { trackEvent(input: $input) { accepted errors { code } } }"
    response = await dev.post(
        "/graphql",
        json={
            "query": track,
            "variables": {"input": {"type": "PRODUCT_VIEWED", "productId": x["id"]}},
        },
        headers={"x-shopgraph-session": "browser-1"},
    )
    assert response.json() == {"data": {"trackEvent": {"accepted": True, "errors": []}}}
    funnel = "query F($from: DateTime!, $to: DateTime!) { funnel(from: $from, to: $to) { views addsToCart } }"

    async def views() -> Any:
        return (await staff.call(funnel, RANGE))["funnel"]

    assert await eventually(views, {"views": 1, "addsToCart": 0}) == {"views": 1, "addsToCart": 0}


async def test_catalog_searches_reach_search_terms_with_zero_results(
    dev: httpx.AsyncClient, settings: Settings
) -> None:
    staff = Customer(dev)
    staff.token = AccessTokens(load_key_pair(settings), settings).issue(
        Principal("staff-1", Role.STAFF)
    )
    search = "query S($q: String!) { searchProducts(query: $q) { totalCount } }"

    async def indexed() -> Any:
        # The demo catalog reaches the search index through events, just after start.
        return (await staff.call(search, {"q": "hiking"}))["searchProducts"]["totalCount"] > 0

    assert await eventually(indexed, True)
    for text in ("Boots", "zzqx nothing", "boots"):
        response = await dev.post(
            "/graphql",
            json={"query": search, "variables": {"q": text}},
            headers={"x-shopgraph-session": "browser-2"},
        )
        assert "errors" not in response.json()
    terms = "query T($from: DateTime!, $to: DateTime!) { searchTerms(from: $from, to: $to) { query searches zeroResults } }"

    async def reported() -> Any:
        found = (await staff.call(terms, RANGE))["searchTerms"]
        return [t for t in found if t["query"] != "hiking"]

    wanted = [
        {"query": "boots", "searches": 2, "zeroResults": 0},
        {"query": "zzqx nothing", "searches": 1, "zeroResults": 1},
    ]
    assert await eventually(reported, wanted) == wanted
