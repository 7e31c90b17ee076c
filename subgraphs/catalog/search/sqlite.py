"""The search index inside the catalog's SQLite file: an FTS5 table beside a plain one.

`search_documents` holds what filters, facets and sorting read; `search_fts`
(FTS5, rowid = `search_documents.key`) holds the normalized name and
description; `search_vocabulary` (fts5vocab) lists the indexed words, which
typo tolerance reads: a query term's candidates are the words that share its
first letter and are near its length (a range scan of the vocabulary), and the
shared edit-distance rule of `analysis` picks the close ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.catalog.search.analysis import max_edits, normalize
from subgraphs.catalog.search.dialect import Candidates, Source, TermGroup
from subgraphs.catalog.search.facets import cents
from subgraphs.catalog.search.port import SearchDocument

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS search_documents (
        key INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        category_id TEXT,
        category_name TEXT,
        price_cents INTEGER NOT NULL,
        currency TEXT NOT NULL,
        in_stock INTEGER NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS search_documents_newest ON search_documents (created_at DESC, id)",
    "CREATE INDEX IF NOT EXISTS search_documents_category ON search_documents (category_id)",
    # The text arrives normalized (analysis.normalize), so unicode61 only splits
    # on spaces; prefix indexes keep short prefix queries ("ru"*) cheap.
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        name, description, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3'
    )""",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_vocabulary USING fts5vocab(search_fts, 'row')",
)

_UPSERT = text(
    """INSERT INTO search_documents
        (id, category_id, category_name, price_cents, currency, in_stock, created_at)
    VALUES (:id, :category_id, :category_name, :price_cents, :currency, :in_stock, :created_at)
    ON CONFLICT (id) DO UPDATE SET
        category_id = excluded.category_id, category_name = excluded.category_name,
        price_cents = excluded.price_cents, currency = excluded.currency,
        in_stock = excluded.in_stock, created_at = excluded.created_at"""
)
_KEYS = text("SELECT id, key FROM search_documents WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_REMOVE_TEXT = text(
    "DELETE FROM search_fts WHERE rowid IN (SELECT key FROM search_documents WHERE id IN :ids)"
).bindparams(bindparam("ids", expanding=True))
_REMOVE = text("DELETE FROM search_documents WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_BATCH = 500  # ids per IN list, well under SQLite's bound-parameter limit

# The name's bm25 counts four times the description's. Two calls, not column
# weights: bm25 adds weighted term counts before saturating them, so weights
# barely lift a name match in a product with a long description.
_SCORE = "-(4.0 * bm25(search_fts, 1.0, 0.0) + bm25(search_fts, 0.0, 1.0))"


class SqliteIndex:
    async def create(self, session: AsyncSession) -> None:
        for statement in _SCHEMA:
            await session.execute(text(statement))

    async def write(self, session: AsyncSession, documents: Sequence[SearchDocument]) -> None:
        for start in range(0, len(documents), _BATCH):
            batch = documents[start : start + _BATCH]
            await session.execute(_UPSERT, [_row(document) for document in batch])
            ids = [document.id for document in batch]
            keys: dict[str, int] = dict((await session.execute(_KEYS, {"ids": ids})).all())
            await session.execute(_REMOVE_TEXT, {"ids": ids})
            await session.execute(
                text("INSERT INTO search_fts (rowid, name, description) VALUES (:key, :n, :d)"),
                [
                    {
                        "key": keys[document.id],
                        "n": normalize(document.name),
                        "d": normalize(document.description),
                    }
                    for document in batch
                ],
            )

    async def remove(self, session: AsyncSession, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), _BATCH):
            batch = list(ids[start : start + _BATCH])
            await session.execute(_REMOVE_TEXT, {"ids": batch})
            await session.execute(_REMOVE, {"ids": batch})

    async def clear(self, session: AsyncSession) -> None:
        await session.execute(text("DELETE FROM search_fts"))
        await session.execute(text("DELETE FROM search_documents"))

    async def candidates(self, session: AsyncSession, terms: Sequence[str]) -> Candidates:
        """Indexed words sharing each term's first letter, within its edit budget in length."""
        found: Candidates = {term: [] for term in terms}
        if not terms:
            return found
        selects: list[str] = []
        params: dict[str, object] = {}
        for number, term in enumerate(terms):
            edits = max_edits(term)
            selects.append(
                f"SELECT :t{number} AS query_term, term, doc FROM search_vocabulary"  # noqa: S608 - fixed fragments; values are bound
                f" WHERE term >= :lo{number} AND term < :hi{number}"
                f" AND length(term) BETWEEN :short{number} AND :long{number}"
            )
            params |= {
                f"t{number}": term,
                f"lo{number}": term[0],
                # Every word starting with that letter sorts below this bound.
                f"hi{number}": term[0] + "\U0010ffff",
                f"short{number}": len(term) - edits,
                f"long{number}": len(term) + edits,
            }
        rows = await session.execute(text(" UNION ALL ".join(selects)), params)
        for query_term, word, documents in rows.all():
            found[query_term].append((word, documents))
        return found

    def text_source(self, groups: Sequence[TermGroup]) -> Source:
        return Source(
            tables="search_fts JOIN search_documents AS d ON d.key = search_fts.rowid",
            condition="search_fts MATCH :match",
            score=_SCORE,
            params={"match": _match_expression(groups)},
        )

    def created_at_key(self, value: object) -> str:
        return str(value)

    def created_at_param(self, key: str) -> object:
        if datetime.fromisoformat(key).utcoffset() is None:  # raises ValueError if no time
            raise ValueError("a cursor time must carry its offset")
        return key


def _match_expression(groups: Sequence[TermGroup]) -> str:
    """An FTS5 query built only from quoted terms: every group must match.

    A group is the term itself (exact: counted twice by bm25 through the
    prefix phrase too, so exact words rank above prefixes and typos), the term
    as a prefix, and its typo expansions.
    """
    clauses = []
    for group in groups:
        phrases = [_quoted(group.term), _quoted(group.term) + "*"]
        phrases += [_quoted(word) for word in group.expansions]
        clauses.append("(" + " OR ".join(phrases) + ")")
    return " AND ".join(clauses)


def _quoted(term: str) -> str:
    # Terms are letters and digits only; doubling quotes keeps that true even if
    # analysis ever lets one through.
    return '"' + term.replace('"', '""') + '"'


def _row(document: SearchDocument) -> dict[str, object]:
    return {
        "id": document.id,
        "category_id": document.category_id,
        "category_name": document.category_name,
        "price_cents": cents(document.price),
        "currency": document.currency,
        "in_stock": document.in_stock,
        "created_at": _utc_text(document.created_at),
    }


def _utc_text(moment: datetime) -> str:
    """Fixed-width ISO text in UTC, so text order is time order."""
    if moment.utcoffset() is None:
        raise ValueError("SearchDocument.created_at must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
