"""Search in the catalog's own database: the default backend, on SQLite or PostgreSQL.

The index is a set of derived tables in the catalog database, created by
`start()` and rebuildable like an OpenSearch index. This module owns what both
dialects share: filters, ordering, keyset pagination and facet counts; the
dialects (`sqlite`, `postgres`) own their tables and text matching.

A query's terms all have to match (in the name or the description), each as
the word itself, as a prefix ("runn" finds "running"), or as a typo of an
indexed word (see `analysis`). Hits come best first, ties by id; a blank query
lists every document newest first, ties by id; a query may instead ask for
newest first or by price either way (still ties by id). Filters apply either
way, and facets count every match of the text and filter, not only the page.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.catalog.search import cursor, facets
from subgraphs.catalog.search.analysis import expansions, max_edits, query_terms
from subgraphs.catalog.search.dialect import Dialect, Source, TermGroup
from subgraphs.catalog.search.port import (
    Facet,
    InvalidCursor,
    SearchDocument,
    SearchFilter,
    SearchHit,
    SearchOrder,
    SearchPage,
    SearchQuery,
)
from subgraphs.catalog.search.postgres import PostgresIndex
from subgraphs.catalog.search.sqlite import SqliteIndex
from subgraphs.platform.database import Database

_FAMILY = "database"  # cursors of SQLite and PostgreSQL indexes are interchangeable
_EVERYTHING = Source(tables="search_documents AS d", condition="1 = 1", score="d.created_at")
# Per order other than relevance: the column it sorts by, and whether descending.
_COLUMNS = {
    SearchOrder.NEWEST: ("d.created_at", True),
    SearchOrder.PRICE_ASC: ("d.price_cents", False),
    SearchOrder.PRICE_DESC: ("d.price_cents", True),
}


class DatabaseSearch:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._dialect: Dialect = SqliteIndex() if database.is_sqlite else PostgresIndex()

    async def start(self) -> None:
        async with self._database.session() as session:
            await self._dialect.create(session)

    async def index(self, documents: Sequence[SearchDocument]) -> None:
        latest = list({document.id: document for document in documents}.values())
        if latest:
            async with self._database.session() as session:
                await self._dialect.write(session, latest)

    async def delete(self, ids: Sequence[str]) -> None:
        distinct = list(dict.fromkeys(ids))
        if distinct:
            async with self._database.session() as session:
                await self._dialect.remove(session, distinct)

    async def clear(self) -> None:
        async with self._database.session() as session:
            await self._dialect.clear(session)

    async def search(self, query: SearchQuery) -> SearchPage:
        first = cursor.page_size(query.first)
        blank = not query.text.strip()
        terms = query_terms(query.text)
        order = query.effective_order
        fingerprint = cursor.fingerprint(
            _FAMILY, None if blank else terms, query.filter, query.order
        )
        after = None if query.after is None else self._after(query.after, fingerprint, order)
        if not blank and not terms:
            # Only punctuation: nothing to look for, so nothing matches.
            return SearchPage((), 0, False, facets.build((), {}, {}))
        async with self._database.session() as session:
            source = _EVERYTHING if blank else await self._text_source(session, terms)
            column, descending = _COLUMNS.get(order, (source.score, True))
            matches, params = _matches(source, query.filter, column)
            page = await session.execute(
                text(_page_sql(matches, after is not None, descending=descending)),
                {**params, **_after_params(after), "limit": first + 1},
            )
            rows = page.all()
            counts = await session.execute(text(_counts_sql(matches)), {**params, **_BUCKETS})
            count_rows = counts.all()
        hits = tuple(
            SearchHit(doc_id, cursor.encode(fingerprint, self._key(sort_key, order), doc_id))
            for doc_id, sort_key in rows[:first]
        )
        total, found = _facets(count_rows)
        return SearchPage(hits, total, len(rows) > first, found)

    async def close(self) -> None:
        """Nothing to release: the catalog owns the database and closes it."""

    async def _text_source(self, session: AsyncSession, terms: Sequence[str]) -> Source:
        fuzzy = [term for term in terms if max_edits(term)]
        candidates = await self._dialect.candidates(session, fuzzy)
        groups = [
            TermGroup(term, tuple(expansions(term, candidates.get(term, [])))) for term in terms
        ]
        return self._dialect.text_source(groups)

    def _after(self, after: str, fingerprint: str, order: SearchOrder) -> tuple[object, str]:
        if order is SearchOrder.RELEVANCE:
            return cursor.decode(after, fingerprint, float)
        if order is not SearchOrder.NEWEST:
            return cursor.decode(after, fingerprint, int)
        key, last_id = cursor.decode(after, fingerprint, str)
        try:
            return self._dialect.created_at_param(str(key)), last_id
        except ValueError as error:
            raise InvalidCursor("the cursor is not one this search returned") from error

    def _key(self, sort_key: object, order: SearchOrder) -> cursor.SortKey:
        if order is SearchOrder.NEWEST:
            return self._dialect.created_at_key(sort_key)
        if order is not SearchOrder.RELEVANCE:
            if not isinstance(sort_key, int):
                raise TypeError(f"a price came back as {type(sort_key).__name__}")
            return sort_key
        if not isinstance(sort_key, float | int):
            raise TypeError(f"a score came back as {type(sort_key).__name__}")
        return float(sort_key)


def _matches(
    source: Source, search_filter: SearchFilter, sort_key: str
) -> tuple[str, dict[str, object]]:
    """The SELECT of every document matching the text and the filter, with its sort key."""
    conditions = [source.condition]
    params: dict[str, object] = dict(source.params)
    if search_filter.category_id is not None:
        conditions.append("d.category_id = :category_id")
        params["category_id"] = search_filter.category_id
    if search_filter.min_price is not None:
        conditions.append("d.price_cents >= :min_cents")
        params["min_cents"] = facets.min_cents(search_filter.min_price)
    if search_filter.max_price is not None:
        conditions.append("d.price_cents <= :max_cents")
        params["max_cents"] = facets.max_cents(search_filter.max_price)
    if search_filter.in_stock is not None:
        conditions.append("d.in_stock = :in_stock")
        params["in_stock"] = search_filter.in_stock
    sql = (
        "SELECT d.id AS id, d.category_id AS category_id, d.category_name AS category_name,"  # noqa: S608 - fixed fragments; values are bound
        f" d.price_cents AS price_cents, d.in_stock AS in_stock, {sort_key} AS sort_key"
        f" FROM {source.tables} WHERE {' AND '.join(conditions)}"
    )
    return sql, params


def _page_sql(matches: str, after: bool, *, descending: bool) -> str:
    # Materialized: SQLite allows bm25() only in the statement that runs MATCH.
    beyond, direction = ("<", "DESC") if descending else (">", "ASC")
    keyset = f" WHERE sort_key {beyond} :after_key OR (sort_key = :after_key AND id > :after_id)"
    return (
        f"WITH matches AS MATERIALIZED ({matches}) SELECT id, sort_key FROM matches"  # noqa: S608 - fixed fragments; values are bound
        f"{keyset if after else ''} ORDER BY sort_key {direction}, id LIMIT :limit"
    )


def _after_params(after: tuple[object, str] | None) -> dict[str, object]:
    return {} if after is None else {"after_key": after[0], "after_id": after[1]}


def _bucket_case() -> tuple[str, dict[str, object]]:
    whens: list[str] = []
    params: dict[str, object] = {}
    for number, bucket in enumerate(facets.PRICE_BUCKETS):
        bounds = []
        if bucket.from_cents is not None:
            bounds.append(f"price_cents >= :from{number}")
            params[f"from{number}"] = bucket.from_cents
        if bucket.to_cents is not None:
            bounds.append(f"price_cents < :to{number}")
            params[f"to{number}"] = bucket.to_cents
        whens.append(f"WHEN {' AND '.join(bounds) or '1 = 1'} THEN :bucket{number}")
        params[f"bucket{number}"] = bucket.value
    return f"CASE {' '.join(whens)} END", params


_BUCKET_CASE, _BUCKETS = _bucket_case()


def _counts_sql(matches: str) -> str:
    """Total and facet counts over every match, as (facet, value, label, count) rows."""
    return (
        f"WITH matches AS MATERIALIZED ({matches})"  # noqa: S608 - fixed fragments; values are bound
        " SELECT 'total' AS facet, '' AS value, '' AS label, count(*) AS n FROM matches"
        " UNION ALL SELECT 'category', category_id, min(category_name), count(*) FROM matches"
        " WHERE category_id IS NOT NULL GROUP BY category_id"
        f" UNION ALL SELECT 'price', {_BUCKET_CASE}, '', count(*) FROM matches GROUP BY 2"
        " UNION ALL SELECT 'inStock', CASE WHEN in_stock THEN 'true' ELSE 'false' END, '',"
        " count(*) FROM matches GROUP BY 2"
    )


def _facets(rows: Sequence[tuple[str, str, str | None, int]]) -> tuple[int, tuple[Facet, ...]]:
    total = 0
    categories: list[tuple[str, str | None, int]] = []
    prices: dict[str, int] = {}
    stock: dict[bool, int] = {}
    for facet, value, label, count in rows:
        if facet == "total":
            total = count
        elif facet == "category":
            categories.append((value, label, count))
        elif facet == "price":
            prices[value] = count
        else:
            stock[value == "true"] = count
    return total, facets.build(categories, prices, stock)
