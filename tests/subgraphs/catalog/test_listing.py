"""products(first, after, filter, sort): keyset pages that stay stable under inserts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event

from subgraphs.catalog.seed import seed_catalog
from subgraphs.platform.pagination import encode_cursor
from tests.statements import recorded_statements
from tests.subgraphs.catalog.conftest import CatalogSubgraph

PAGE = """
query Page($first: Int, $after: String, $filter: ProductFilter, $sort: ProductSort) {
  products(first: $first, after: $after, filter: $filter, sort: $sort) {
    edges { cursor node { id name price { amount } stock category { name } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}"""


async def _all_pages(
    catalog: CatalogSubgraph, first: int, between: Any = None, **arguments: Any
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        body = await catalog.query(PAGE, {"first": first, "after": after, **arguments})
        page = body["data"]["products"]
        seen += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
        if between is not None:
            await between()


@pytest.mark.parametrize("sort", ["NEWEST", "PRICE_ASC", "PRICE_DESC", "NAME"])
async def test_pages_never_repeat_or_skip_while_products_are_added(
    catalog: CatalogSubgraph, sort: str
) -> None:
    assert await seed_catalog(catalog.services) == 240
    before = await _all_pages(catalog, 100, sort=sort)
    assert len(before) == 240

    added = 0

    async def add_one() -> None:
        nonlocal added
        added += 1
        await catalog.create(name=f"Inserted {added}", price=str(10 + added))

    during = await _all_pages(catalog, 17, between=add_one, sort=sort)
    ids = [p["id"] for p in during]
    assert len(ids) == len(set(ids))  # nothing twice
    assert {p["id"] for p in before} <= set(ids)  # nothing that was there is skipped
    key = {
        "NEWEST": None,
        "PRICE_ASC": lambda p: Decimal(p["price"]["amount"]),
        "PRICE_DESC": lambda p: -Decimal(p["price"]["amount"]),
        "NAME": lambda p: p["name"],
    }[sort]
    if key is not None:
        original = [p for p in during if p["id"] in {q["id"] for q in before}]
        assert [key(p) for p in original] == sorted(key(p) for p in original)


async def test_filters_and_total(catalog: CatalogSubgraph) -> None:
    await seed_catalog(catalog.services)
    categories = (await catalog.query("{ categories { id name slug } }"))["data"]["categories"]
    assert len(categories) == 8
    footwear = next(c for c in categories if c["slug"] == "footwear")
    product_filter = {
        "categoryId": footwear["id"],
        "minPrice": "50",
        "maxPrice": "120.00",
        "inStock": True,
    }
    found = await _all_pages(catalog, 10, filter=product_filter)
    assert found
    assert all(p["category"]["name"] == "Footwear" for p in found)
    assert all(Decimal(50) <= Decimal(p["price"]["amount"]) <= Decimal(120) for p in found)
    assert all(p["stock"] > 0 for p in found)
    first = await catalog.query(PAGE, {"first": 3, "filter": product_filter})
    assert first["data"]["products"]["totalCount"] == len(found)
    assert first["data"]["products"]["pageInfo"]["hasPreviousPage"] is False
    out_of_stock = await _all_pages(catalog, 100, filter={"inStock": False})
    assert out_of_stock
    assert all(p["stock"] == 0 for p in out_of_stock)


async def test_one_statement_per_page_whatever_its_size(catalog: CatalogSubgraph) -> None:
    await seed_catalog(catalog.services)
    await catalog.indexed()
    for first in (1, 50, 100):
        with recorded_statements(catalog.services.database.engine) as statements:
            body = await catalog.query(PAGE, {"first": first})
        assert len(body["data"]["products"]["edges"]) == first
        assert len(statements) == 1, statements


CARDS = "{ products(first: 5) { edges { node { id name } } } }"
CARDS_WITH_TOTAL = """
{ products(first: 5) { edges { node { id } } ...Counted } }
fragment Counted on ProductConnection { totalCount }"""


async def test_the_total_is_counted_only_when_asked(catalog: CatalogSubgraph) -> None:
    await seed_catalog(catalog.services)
    await catalog.indexed()
    engine = catalog.services.database.engine
    with recorded_statements(engine) as statements:
        cards = await catalog.query(CARDS)
    assert len(cards["data"]["products"]["edges"]) == 5
    assert [("count(" in s) for s in statements] == [False], statements
    with recorded_statements(engine) as statements:
        counted = await catalog.query(CARDS_WITH_TOTAL)
    assert [("count(" in s) for s in statements] == [True], statements
    everything = await _all_pages(catalog, 100)
    assert counted["data"]["products"]["totalCount"] == len(everything)


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"first": 101}, "INVALID_PAGE_SIZE"),
        ({"first": -1}, "INVALID_PAGE_SIZE"),
        ({"after": "garbage!"}, "INVALID_CURSOR"),
        ({"after": "WzEsMiwzXQ"}, "INVALID_CURSOR"),
    ],
)
async def test_bad_page_requests_are_clear_errors(
    catalog: CatalogSubgraph, variables: dict[str, Any], code: str
) -> None:
    body = await catalog.query(PAGE, variables)
    assert body["data"] is None
    # Mapped once, by the schema's extension: the code, and where in the response.
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [(["products"], code)]


@pytest.mark.parametrize(
    ("variables", "code"),
    [({"first": 101}, "INVALID_PAGE_SIZE"), ({"after": "garbage!"}, "INVALID_CURSOR")],
)
async def test_bad_search_pages_are_clear_errors(
    catalog: CatalogSubgraph, variables: dict[str, Any], code: str
) -> None:
    body = await catalog.query(
        'query($first: Int, $after: String) { searchProducts(query: "x", first: $first, '
        "after: $after) { totalCount } }",
        variables,
    )
    assert body["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["searchProducts"], code)
    ]


SEARCH_TOTAL = 'query($f: ProductFilter) { searchProducts(query: "", filter: $f) { totalCount } }'


async def test_price_bounds_past_any_price_select_everything_and_infinite_ones_are_refused(
    catalog: CatalogSubgraph,
) -> None:
    # Found by the fuzzer: maxPrice 1E+400 overflowed to INTERNAL_SERVER_ERROR.
    await seed_catalog(catalog.services)
    await catalog.indexed()
    wide = {"minPrice": "-1E+400", "maxPrice": "1E+400"}
    listed = await catalog.query(PAGE, {"first": 1, "filter": wide})
    everything = await catalog.query(PAGE, {"first": 1})
    assert listed["data"]["products"]["totalCount"] == everything["data"]["products"]["totalCount"]
    searched = await catalog.query(SEARCH_TOTAL, {"f": wide})
    assert searched["data"]["searchProducts"]["totalCount"] == 240
    for bound in ("NaN", "Infinity", "-Infinity"):
        for query, variables in (
            (PAGE, {"filter": {"maxPrice": bound}}),
            (SEARCH_TOTAL, {"f": {"minPrice": bound}}),
        ):
            body = await catalog.query(query, variables)
            assert body["data"] is None
            assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_PRICE"], body


@pytest.mark.parametrize(("made_by", "used_by"), [("NEWEST", "PRICE_ASC"), ("PRICE_ASC", "NAME")])
async def test_a_cursor_of_another_sort_is_an_invalid_cursor(
    catalog: CatalogSubgraph, made_by: str, used_by: str
) -> None:
    for n in range(3):
        await catalog.create(name=f"Product {n}", price=f"{n + 1}.00")
    first = await catalog.query(PAGE, {"first": 1, "sort": made_by})
    cursor = first["data"]["products"]["pageInfo"]["endCursor"]

    body = await catalog.query(PAGE, {"first": 1, "after": cursor, "sort": used_by})

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_CURSOR"]
    same = await catalog.query(PAGE, {"first": 1, "after": cursor, "sort": made_by})
    assert len(same["data"]["products"]["edges"]) == 1


async def test_a_cursor_with_a_time_without_its_zone_is_an_invalid_cursor(
    catalog: CatalogSubgraph,
) -> None:
    # Every cursor of ours carries the zone; the page statement binds the time as UTC.
    product = await catalog.create(name="Product")
    naive = encode_cursor(["created_at", "2026-01-01T00:00:00", product["product"]["id"]])

    body = await catalog.query(PAGE, {"first": 1, "after": naive})

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_CURSOR"]


CURSOR_PAGE = """query Page($after: String, $sort: ProductSort) {
  products(first: 5, after: $after, sort: $sort) {
    edges { node { id } } pageInfo { endCursor }
  }
}"""


@pytest.mark.parametrize("backend", ["postgres"])
@pytest.mark.parametrize("sort", ["NEWEST", "PRICE_ASC", "PRICE_DESC", "NAME"])
async def test_a_page_after_a_cursor_starts_its_index_scan_at_the_cursor(
    catalog: CatalogSubgraph, sort: str
) -> None:
    # Written as `a < x OR (a = x AND id < y)`, the cursor was a filter over an index
    # scan from the first product: every page read and dropped all the pages before it.
    await seed_catalog(catalog.services)
    first = await catalog.query(CURSOR_PAGE, {"sort": sort})
    after = first["data"]["products"]["pageInfo"]["endCursor"]
    engine = catalog.services.database.engine
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM products" in statement and "LIMIT" in statement:  # not the indexer's reads
            sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await catalog.query(CURSOR_PAGE, {"after": after, "sort": sort})
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert len(sent) == 1, sent
    ((statement, parameters),) = sent
    async with engine.connect() as connection:
        # 240 products fit a page or two: make the planner show its index plan.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            await connection.exec_driver_sql(f"SET {setting} = off")
        result = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        plan = "\n".join(row[0] for row in result.all())
    assert "Index Cond: (ROW(" in plan, plan
    # Only the soft deletion is left to filter.
    filters = [line.strip() for line in plan.splitlines() if "Filter:" in line]
    assert filters == ["Filter: (deleted_at IS NULL)"], plan
