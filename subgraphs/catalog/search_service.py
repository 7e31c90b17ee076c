"""searchProducts: ask the search backend, then load the products it found.

The first page of every search is also tracked (`product.searched`, with the
shopper's session and the number of results) so analytics can report the
searches that found nothing. Tracking never fails or slows a search: a full
tracking buffer drops the event (see platform/events/tracking.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from subgraphs.catalog.domain import Product, ProductFilter, ProductSort, checked_filter
from subgraphs.catalog.errors import CatalogErrorCode
from subgraphs.catalog.products import MAX_PAGE, products_by_id
from subgraphs.catalog.search.port import (
    Facet,
    InvalidCursor,
    SearchFilter,
    SearchOrder,
    SearchQuery,
)
from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.errors import DomainError
from subgraphs.platform.events import Event, JSONObject
from subgraphs.platform.pagination import invalid_cursor

if TYPE_CHECKING:
    from subgraphs.catalog.services import CatalogServices

MAX_QUERY_CHARS = 10_000
SEARCHED = "product.searched"
MAX_TRACKED_QUERY_CHARS = 200
# The listing sorts search can page through; NAME is not one (no backend indexes
# a sortable name), so asking for it is refused rather than quietly ignored.
_ORDERS = {
    ProductSort.RELEVANCE: SearchOrder.RELEVANCE,
    ProductSort.NEWEST: SearchOrder.NEWEST,
    ProductSort.PRICE_ASC: SearchOrder.PRICE_ASC,
    ProductSort.PRICE_DESC: SearchOrder.PRICE_DESC,
}


@dataclass(frozen=True, slots=True)
class Searcher:
    """Who searched: the storefront's session id (if sent) and the signed-in user."""

    session_id: str | None
    principal: Principal | None


@dataclass(frozen=True, slots=True)
class SearchResult:
    products: tuple[Product, ...]
    cursors: tuple[str, ...]
    has_next_page: bool
    total: int
    facets: tuple[Facet, ...]


async def search(
    services: CatalogServices,
    text: str,
    first: int,
    after: str | None,
    product_filter: ProductFilter,
    searcher: Searcher | None = None,
    sort: ProductSort = ProductSort.RELEVANCE,
) -> SearchResult:
    if not 0 <= first <= MAX_PAGE:
        raise DomainError(
            CatalogErrorCode.INVALID_PAGE_SIZE, f"first must be between 0 and {MAX_PAGE}", ["first"]
        )
    order = _ORDERS.get(sort)
    if order is None:
        raise DomainError(
            CatalogErrorCode.UNSUPPORTED_SORT,
            f"search results cannot be sorted by {sort.value}",
            ["sort"],
        )
    product_filter = checked_filter(product_filter)
    query = SearchQuery(
        # Longer text adds nothing a shopper typed on purpose; cut it rather than fail.
        text=text[:MAX_QUERY_CHARS],
        filter=SearchFilter(
            category_id=product_filter.category_id,
            min_price=product_filter.min_price,
            max_price=product_filter.max_price,
            in_stock=product_filter.in_stock,
        ),
        first=first,
        after=after,
        order=order,
    )
    try:
        page = await services.search.search(query)
    except InvalidCursor as error:
        raise invalid_cursor() from error
    found = await products_by_id(services.database, [hit.id for hit in page.hits])
    # The index may trail the catalog by an event: drop what is gone meanwhile.
    kept = [
        (found[h.id], h.cursor)
        for h in page.hits
        if h.id in found and found[h.id].deleted_at is None
    ]
    if searcher is not None and after is None and text.strip():
        track_search(services, searcher, text, page.total)
    return SearchResult(
        products=tuple(product for product, _ in kept),
        cursors=tuple(cursor for _, cursor in kept),
        has_next_page=page.has_next_page,
        total=page.total,
        facets=page.facets,
    )


def track_search(services: CatalogServices, searcher: Searcher, text: str, results: int) -> None:
    user = searcher.principal.user_id if searcher.principal else None
    session = searcher.session_id or (f"user:{user}" if user else "anonymous")
    payload: JSONObject = {
        "sessionId": session,
        "userId": user,
        "query": text.strip()[:MAX_TRACKED_QUERY_CHARS],
        "results": results,
    }
    services.tracker.offer(Event.new(SEARCHED, session, payload))
