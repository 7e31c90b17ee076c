"""Sorted search, on every backend: each order pages to the end in its exact order, ties by id."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from subgraphs.catalog.search.port import (
    InvalidCursor,
    SearchBackend,
    SearchDocument,
    SearchFilter,
    SearchOrder,
    SearchQuery,
)
from tests.subgraphs.catalog.search.corpus import CORPUS, FILLERS, newest_first, passes


def by_price(documents: list[SearchDocument], *, descending: bool) -> list[str]:
    by_id = sorted(documents, key=lambda document: document.id)
    ordered = sorted(by_id, key=lambda document: -document.price if descending else document.price)
    return [document.id for document in ordered]


EXPECTED: dict[SearchOrder, Callable[[list[SearchDocument]], list[str]]] = {
    SearchOrder.NEWEST: newest_first,
    SearchOrder.PRICE_ASC: lambda documents: by_price(documents, descending=False),
    SearchOrder.PRICE_DESC: lambda documents: by_price(documents, descending=True),
}


async def paged(
    search: SearchBackend, text: str, search_filter: SearchFilter, order: SearchOrder
) -> list[str]:
    """Every hit, following cursors 7 at a time."""
    page = await search.search(SearchQuery(text, search_filter, 7, order=order))
    found = [hit.id for hit in page.hits]
    while page.has_next_page:
        assert len(found) <= len(CORPUS), "paging does not end"
        after = page.hits[-1].cursor
        page = await search.search(SearchQuery(text, search_filter, 7, after, order))
        found += [hit.id for hit in page.hits]
    return found


@pytest.mark.parametrize("order", list(EXPECTED))
async def test_each_sort_pages_through_every_match_in_order(
    search: SearchBackend, order: SearchOrder
) -> None:
    in_stock = SearchFilter(in_stock=True)
    # The fillers all say "gift" and share prices and creation times in pairs.
    assert await paged(search, "gift", SearchFilter(), order) == EXPECTED[order](FILLERS)
    assert await paged(search, "", SearchFilter(), order) == EXPECTED[order](CORPUS)
    stocked = [document for document in FILLERS if passes(document, in_stock)]
    assert await paged(search, "gift", in_stock, order) == EXPECTED[order](stocked)


async def test_a_sort_does_not_change_what_matches(search: SearchBackend) -> None:
    pages = [
        await search.search(SearchQuery("runing shoes", first=100, order=order))
        for order in SearchOrder
    ]
    assert [[hit.id for hit in page.hits] for page in pages] == [
        ["p001", "p002"],  # RELEVANCE
        ["p002", "p001"],  # NEWEST
        ["p001", "p002"],  # PRICE_ASC: 89.99, 129.00
        ["p002", "p001"],  # PRICE_DESC
    ]
    assert {(page.total, page.facets) for page in pages} == {(pages[0].total, pages[0].facets)}


async def test_a_blank_query_by_relevance_lists_newest_first(search: SearchBackend) -> None:
    assert await paged(search, "", SearchFilter(), SearchOrder.RELEVANCE) == newest_first(CORPUS)


@pytest.mark.parametrize("text", ["gift", ""])
async def test_a_cursor_of_one_sort_never_pages_another(search: SearchBackend, text: str) -> None:
    cursors = {
        order: (await search.search(SearchQuery(text, first=3, order=order))).hits[-1].cursor
        for order in SearchOrder
    }
    for made_by, cursor in cursors.items():
        for order in SearchOrder:
            query = SearchQuery(text, first=3, after=cursor, order=order)
            if order is made_by:
                assert len((await search.search(query)).hits) == 3
            else:
                with pytest.raises(InvalidCursor):
                    await search.search(query)
