"""Opaque search cursors: where a page ended, bound to the query that made it.

A cursor is URL-safe base64 of a small JSON array: format version, the query's
fingerprint, the last hit's sort key and its id. Paging continues strictly
after that (key, id) pair (keyset pagination, like `search_after`), so an item
is never repeated or skipped while the index holds still; cluster relevance
pages put the offset past the hit in the key instead (see `dsl`). The
fingerprint ties a cursor to one backend family and one query (terms, filter
and sort order): handing it to another query or another sort raises
InvalidCursor instead of silently paging something else.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math

from subgraphs.catalog.search.port import InvalidCursor, SearchFilter, SearchOrder

_VERSION = 1
_MAX_LENGTH = 1024  # a cursor is ~150 characters; anything far longer is not ours

# The sort key of the last hit: a relevance score (database) or offset (cluster),
# or when listing by age the creation time (ISO text in the database, epoch
# milliseconds in a cluster), or when sorting by price the price in cents.
SortKey = float | int | str


def fingerprint(
    family: str,
    terms: tuple[str, ...] | None,
    search_filter: SearchFilter,
    order: SearchOrder = SearchOrder.RELEVANCE,
) -> str:
    """A short digest of what decides a result list: backend family, terms, filter and order.

    `terms` is None for an empty query. A cursor of one order never pages another.
    """
    material = [
        family,
        None if terms is None else list(terms),
        search_filter.category_id,
        None if search_filter.min_price is None else str(search_filter.min_price),
        None if search_filter.max_price is None else str(search_filter.max_price),
        search_filter.in_stock,
        order.value,
    ]
    digest = hashlib.sha256(json.dumps(material).encode())
    return digest.hexdigest()[:16]


def encode(query_fingerprint: str, key: SortKey, last_id: str) -> str:
    raw = json.dumps([_VERSION, query_fingerprint, key, last_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def decode(cursor: str, query_fingerprint: str, key_type: type[SortKey]) -> tuple[SortKey, str]:
    """The (sort key, id) a cursor points after; InvalidCursor unless this query made it."""
    if len(cursor) > _MAX_LENGTH:
        raise InvalidCursor("the cursor is not one this search returned")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except ValueError as error:  # binascii, JSON and UTF-8 errors are all ValueErrors
        raise InvalidCursor("the cursor is not one this search returned") from error
    if not (isinstance(data, list) and len(data) == 4 and data[0] == _VERSION):
        raise InvalidCursor("the cursor is not one this search returned")
    _, made_for, key, last_id = data
    if made_for != query_fingerprint:
        raise InvalidCursor("the cursor belongs to another query or backend")
    if not isinstance(last_id, str) or not _is_key(key, key_type):
        raise InvalidCursor("the cursor is not one this search returned")
    return (float(key) if key_type is float else key), last_id


def _is_key(key: object, key_type: type[SortKey]) -> bool:
    if isinstance(key, bool):  # bool is an int subclass; never a sort key here
        return False
    if key_type is float:
        # A score may come back from JSON as a whole number; NaN would never compare.
        return isinstance(key, int | float) and math.isfinite(key)
    return isinstance(key, key_type)


MAX_PAGE_SIZE = 1000  # the API caps pages lower; this only bounds what a backend is asked


def page_size(first: int) -> int:
    """`first` checked: 0 (counts and facets only) up to MAX_PAGE_SIZE."""
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise ValueError(f"first must be between 0 and {MAX_PAGE_SIZE}, not {first}")
    return first
