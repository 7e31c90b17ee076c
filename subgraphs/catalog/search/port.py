"""The search port: what the catalog indexes and asks, whatever the backend.

Every backend keeps its own copy of the searchable product data, fed by the
catalog's product events, and answers with product ids in relevance order plus
facet counts; the catalog then loads the products themselves.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One product as search sees it."""

    id: str
    name: str
    description: str
    category_id: str | None
    category_name: str | None
    price: Decimal
    currency: str
    in_stock: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SearchFilter:
    category_id: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None


class SearchOrder(enum.StrEnum):
    """The orders every backend can page through; each breaks ties by id ascending."""

    RELEVANCE = "RELEVANCE"  # best match first; a blank query has none, so newest first
    NEWEST = "NEWEST"
    PRICE_ASC = "PRICE_ASC"
    PRICE_DESC = "PRICE_DESC"


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str  # whatever the user typed; never interpreted as query syntax
    filter: SearchFilter = SearchFilter()
    first: int = 20
    after: str | None = None  # an opaque cursor from a previous SearchPage
    order: SearchOrder = SearchOrder.RELEVANCE

    @property
    def effective_order(self) -> SearchOrder:
        """The order actually applied: a blank query has no relevance and lists newest first."""
        if self.order is SearchOrder.RELEVANCE and not self.text.strip():
            return SearchOrder.NEWEST
        return self.order


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Facet:
    name: str  # "category", "price", "inStock"
    values: tuple[FacetValue, ...]


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: str
    cursor: str


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    total: int  # matches of the text and filter, over all pages
    has_next_page: bool
    facets: tuple[Facet, ...] = field(default=())


# Price buckets every backend uses for the "price" facet: [from, to) in the
# document's currency; None is unbounded.
PRICE_RANGES: tuple[tuple[Decimal | None, Decimal | None], ...] = (
    (None, Decimal(25)),
    (Decimal(25), Decimal(50)),
    (Decimal(50), Decimal(100)),
    (Decimal(100), Decimal(250)),
    (Decimal(250), None),
)


class InvalidCursor(ValueError):
    """The `after` cursor was not made by this backend for this query."""


class SearchBackend(Protocol):
    async def start(self) -> None:
        """Create indexes or tables if missing."""
        ...

    async def index(self, documents: Sequence[SearchDocument]) -> None:
        """Insert or replace documents (idempotent)."""
        ...

    async def delete(self, ids: Sequence[str]) -> None:
        """Remove documents; unknown ids are ignored."""
        ...

    async def clear(self) -> None:
        """Remove every document (before a full reindex)."""
        ...

    async def search(self, query: SearchQuery) -> SearchPage: ...

    async def close(self) -> None: ...
