"""searchProducts(sort): sorted keyset pages through the API, and the sorts it refuses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.subgraphs.catalog.conftest import CatalogSubgraph

SEARCH = """
query Search($first: Int, $after: String, $sort: ProductSort) {
  searchProducts(query: "lamp", first: $first, after: $after, sort: $sort) {
    edges { cursor node { id name price { amount } } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}"""
# Two pairs share a price, so only the id tie-break decides their order.
PRICES = ["30.00", "12.50", "99.00", "12.50", "30.00", "7.25"]


async def _lamps(catalog: CatalogSubgraph) -> list[tuple[str, Decimal]]:
    created = [
        await catalog.create(name=f"Desk Lamp {n}", price=price) for n, price in enumerate(PRICES)
    ]
    await catalog.create(name="Kettle", price="1.00")  # never matches "lamp"
    await catalog.indexed()
    return [
        (payload["product"]["id"], Decimal(price))
        for payload, price in zip(created, PRICES, strict=True)
    ]


async def _all_pages(catalog: CatalogSubgraph, sort: str) -> list[tuple[str, Decimal]]:
    seen: list[tuple[str, Decimal]] = []
    after = None
    while True:
        body = await catalog.query(SEARCH, {"first": 2, "after": after, "sort": sort})
        page = body["data"]["searchProducts"]
        assert page["totalCount"] == len(PRICES)
        seen += [(e["node"]["id"], Decimal(e["node"]["price"]["amount"])) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


async def test_search_pages_by_price_either_way_ties_by_id(catalog: CatalogSubgraph) -> None:
    lamps = await _lamps(catalog)
    by_id = sorted(lamps)
    assert await _all_pages(catalog, "PRICE_ASC") == sorted(by_id, key=lambda lamp: lamp[1])
    assert await _all_pages(catalog, "PRICE_DESC") == sorted(by_id, key=lambda lamp: -lamp[1])
    # Created one after the other, so newest first is the reverse of creation.
    assert await _all_pages(catalog, "NEWEST") == lamps[::-1]
    assert sorted(await _all_pages(catalog, "RELEVANCE")) == by_id


async def test_search_sorts_by_relevance_unless_told(catalog: CatalogSubgraph) -> None:
    await _lamps(catalog)
    told: dict[str, Any] = {"first": 2, "sort": "RELEVANCE"}
    default = await catalog.query(SEARCH, {"first": 2})
    assert default == await catalog.query(SEARCH, told)
    # The default's cursor is a relevance cursor: it continues only a relevance search.
    after = default["data"]["searchProducts"]["pageInfo"]["endCursor"]
    continued = await catalog.query(SEARCH, {**told, "after": after})
    assert len(continued["data"]["searchProducts"]["edges"]) == 2


@pytest.mark.parametrize(
    ("made_by", "used_by"),
    [("RELEVANCE", "PRICE_ASC"), ("PRICE_ASC", "PRICE_DESC"), ("NEWEST", "RELEVANCE")],
)
async def test_a_search_cursor_of_another_sort_is_an_invalid_cursor(
    catalog: CatalogSubgraph, made_by: str, used_by: str
) -> None:
    await _lamps(catalog)
    first = await catalog.query(SEARCH, {"first": 1, "sort": made_by})
    cursor = first["data"]["searchProducts"]["pageInfo"]["endCursor"]

    body = await catalog.query(SEARCH, {"first": 1, "after": cursor, "sort": used_by})

    assert body["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["searchProducts"], "INVALID_CURSOR")
    ]


async def test_search_refuses_to_sort_by_name(catalog: CatalogSubgraph) -> None:
    await _lamps(catalog)
    body = await catalog.query(SEARCH, {"first": 2, "sort": "NAME"})
    assert body["data"] is None
    assert [(e["path"], e["extensions"]["code"], e["message"]) for e in body["errors"]] == [
        (["searchProducts"], "UNSUPPORTED_SORT", "search results cannot be sorted by NAME")
    ]
