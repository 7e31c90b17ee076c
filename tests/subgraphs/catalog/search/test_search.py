"""The search contract, run unchanged against every backend (see conftest)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from subgraphs.catalog.search.port import (
    InvalidCursor,
    SearchBackend,
    SearchFilter,
    SearchPage,
    SearchQuery,
)
from tests.subgraphs.catalog.search.corpus import (
    BY_ID,
    CORPUS,
    FILLERS,
    facet_counts,
    newest_first,
    passes,
)

NO_FILTER = SearchFilter()


async def ids(
    search: SearchBackend, text: str, search_filter: SearchFilter = NO_FILTER
) -> list[str]:
    page = await search.search(SearchQuery(text, search_filter, first=100))
    assert not page.has_next_page
    return [hit.id for hit in page.hits]


async def every_page(
    search: SearchBackend, text: str, search_filter: SearchFilter = NO_FILTER, first: int = 7
) -> list[SearchPage]:
    pages = [await search.search(SearchQuery(text, search_filter, first=first))]
    while pages[-1].has_next_page:
        assert len(pages) <= len(CORPUS), "paging does not end"
        after = pages[-1].hits[-1].cursor
        pages.append(await search.search(SearchQuery(text, search_filter, first, after)))
    return pages


def facets_of(page: SearchPage) -> dict[str, list[tuple[str, str, int]]]:
    return {f.name: [(v.value, v.label, v.count) for v in f.values] for f in page.facets}


async def test_a_typo_still_finds_the_product_first(search: SearchBackend) -> None:
    assert await ids(search, "runing shoes") == ["p001", "p002"]
    assert await ids(search, "Runing SHOES") == ["p001", "p002"]
    assert (await ids(search, "snekers"))[0] == "p003"
    assert await ids(search, "cafe pres") == ["p007"]


async def test_a_prefix_finds_whole_words(search: SearchBackend) -> None:
    assert sorted(await ids(search, "runn")) == ["p001", "p002", "p004"]
    assert await ids(search, "tote") == ["p012", "p011"]  # the exact word first
    assert await ids(search, "runn shor") == ["p004"]
    assert await ids(search, "sneak") == ["p003"]


async def test_a_match_in_the_name_outranks_one_in_the_description(search: SearchBackend) -> None:
    assert await ids(search, "waterproof") == ["p005", "p006"]
    assert await ids(search, "thermos") == ["p009", "p010"]


async def test_every_term_has_to_match(search: SearchBackend) -> None:
    assert await ids(search, "running shoes") == ["p001", "p002"]
    assert await ids(search, "running kettle") == []


async def test_a_blank_query_lists_everything_newest_first(search: SearchBackend) -> None:
    page = await search.search(SearchQuery("  ", first=100))
    assert [hit.id for hit in page.hits] == newest_first(CORPUS)
    assert page.total == len(CORPUS)


FILTERS = [
    SearchFilter(category_id="cat-kitchen"),
    SearchFilter(min_price=Decimal(25), max_price=Decimal("99.99")),
    SearchFilter(min_price=Decimal("249.99")),
    SearchFilter(max_price=Decimal("24.99")),
    SearchFilter(in_stock=False),
    SearchFilter(category_id="cat-outdoor", min_price=Decimal(50), in_stock=True),
    SearchFilter(category_id="no-such-category"),
]


@pytest.mark.parametrize("search_filter", FILTERS, ids=lambda f: repr(f)[13:-1])
async def test_filters_narrow_blank_and_text_queries(
    search: SearchBackend, search_filter: SearchFilter
) -> None:
    expected = [d for d in CORPUS if passes(d, search_filter)]
    assert await ids(search, "", search_filter) == newest_first(expected)
    gifts = [d.id for d in FILLERS if passes(d, search_filter)]
    assert sorted(await ids(search, "gift", search_filter)) == gifts


FACET_CASES = [
    ("", NO_FILTER, {d.id for d in CORPUS}),
    (
        "",
        SearchFilter(category_id="cat-shoes"),
        {"p001", "p002", "p003", "p004"} | {d.id for d in FILLERS if d.category_id == "cat-shoes"},
    ),
    ("gift", SearchFilter(in_stock=True), {d.id for d in FILLERS if d.in_stock}),
    (
        "model gift",
        SearchFilter(min_price=Decimal(25), max_price=Decimal(250)),
        {d.id for d in FILLERS if Decimal(25) <= d.price <= Decimal(250)},
    ),
    ("shoes", NO_FILTER, {"p001", "p002"}),
    ("no such thing", NO_FILTER, set()),
]


@pytest.mark.parametrize(("text", "search_filter", "expected"), FACET_CASES)
async def test_facets_count_exactly_the_filtered_results(
    search: SearchBackend, text: str, search_filter: SearchFilter, expected: set[str]
) -> None:
    pages = await every_page(search, text, search_filter)
    found = [hit.id for page in pages for hit in page.hits]
    assert set(found) == expected
    for page in pages:
        assert page.total == len(found)
        assert facets_of(page) == facet_counts(found)


@pytest.mark.parametrize(("text", "total"), [("", len(CORPUS)), ("gift", 60), ("model gift", 60)])
async def test_pages_never_repeat_or_skip_an_item(
    search: SearchBackend, text: str, total: int
) -> None:
    pages = await every_page(search, text, first=7)
    paged = [hit.id for page in pages for hit in page.hits]
    assert paged == [hit.id for hit in (await search.search(SearchQuery(text, first=100))).hits]
    assert len(set(paged)) == len(paged) == total
    assert [page.total for page in pages] == [total] * len(pages)
    assert [len(page.hits) for page in pages] == [min(7, total - 7 * n) for n in range(len(pages))]
    assert len(pages) == -(-total // 7)
    assert [page.has_next_page for page in pages] == [True] * (len(pages) - 1) + [False]


async def test_deleting_and_reindexing(search: SearchBackend) -> None:
    await search.delete(["p001", "p005", "not-indexed"])
    assert await ids(search, "runing shoes") == ["p002"]
    assert await ids(search, "waterproof") == ["p006"]
    assert (await search.search(SearchQuery(""))).total == len(CORPUS) - 2

    renamed = dataclasses.replace(BY_ID["p003"], name="Canvas Plimsolls", in_stock=False)
    await search.index([BY_ID["p001"], BY_ID["p005"], renamed, renamed])
    await search.index([BY_ID["p001"]])  # indexing again changes nothing
    assert await ids(search, "runing shoes") == ["p001", "p002"]
    assert await ids(search, "sneakers") == []
    assert await ids(search, "plimsols", SearchFilter(in_stock=False)) == ["p003"]
    assert (await search.search(SearchQuery(""))).total == len(CORPUS)

    await search.clear()
    assert (await search.search(SearchQuery(""))).total == 0
    assert await ids(search, "shoes") == []
    await search.index(CORPUS)
    assert await ids(search, "", SearchFilter(category_id="cat-kitchen")) == newest_first(
        [d for d in CORPUS if d.category_id == "cat-kitchen"]
    )


FULL_WIDTH = "\uff52\uff55\uff4e\uff4e\uff49\uff4e\uff47 \N{RUNNER} shoes"  # full-width "running"
MALFORMED = [
    '"running shoes',
    "running AND shoes OR NOT NEAR(boots, 3)",
    "*",
    "run*",
    "(((",
    "'; DROP TABLE search_documents; --",
    "1' OR '1'='1",
    '{"query": {"match_all": {}}}',
    "name:shoes^10 description:~2",
    "NEAR(running shoes)",
    "running -shoes +boots",
    '\\"\\\\',
    "%_%",
    "\x00\x01 running",
    "\ud800 lone surrogate",
    "\u4e2d\u6587 \u00b2\u00b3 \u2167 \u0663\u0664 \u01c5",  # CJK, superscripts, numerals
    "\U0001d5cb\U0001d5ce\U0001d5c7\U0001d5c7",  # mathematical "runn"
    FULL_WIDTH,
    "shoes " * 1700,
    "x" * 10_000,
]


async def test_malformed_text_is_only_text(search: SearchBackend) -> None:
    for text in MALFORMED:
        page = await search.search(SearchQuery(text, first=5))
        assert isinstance(page, SearchPage), text
        assert page.total >= len(page.hits)
        if page.has_next_page:
            await search.search(SearchQuery(text, first=5, after=page.hits[-1].cursor))
    assert await ids(search, FULL_WIDTH) == ["p001", "p002"]
    assert (await search.search(SearchQuery(""))).total == len(CORPUS)
    assert await ids(search, "runing shoes") == ["p001", "p002"]


async def test_a_cursor_only_continues_the_query_that_made_it(search: SearchBackend) -> None:
    page = await search.search(SearchQuery("gift", first=3))
    cursor = page.hits[-1].cursor
    for bad in ["", "garbage", "eyJub3QiOiAianNvbiJ9", cursor[:-4], cursor + "x" * 2000]:
        with pytest.raises(InvalidCursor):
            await search.search(SearchQuery("gift", first=3, after=bad))
    with pytest.raises(InvalidCursor):
        await search.search(SearchQuery("gift", SearchFilter(in_stock=True), 3, cursor))
    with pytest.raises(InvalidCursor):
        await search.search(SearchQuery("", first=3, after=cursor))


async def test_first_zero_still_counts(search: SearchBackend) -> None:
    page = await search.search(SearchQuery("gift", first=0))
    assert (page.hits, page.total, page.has_next_page) == ((), len(FILLERS), True)
    assert facets_of(page) == facet_counts([d.id for d in FILLERS])
