"""The search index inside the catalog's PostgreSQL schema: full-text search plus pg_trgm.

`search_documents` carries a generated tsvector (name at weight A over
description at weight B, from the normalized text of `analysis`) under a GIN
index. `search_terms` is the vocabulary of that text with document counts,
kept exact in the same transaction as every write, and indexed by pg_trgm:
a query term's typo candidates are the vocabulary words trigram-similar to it,
and the shared edit-distance rule of `analysis` picks the close ones. Writers
take a transaction-scoped advisory lock so concurrent batches count words right.

pg_trgm is created in `public` when no schema has it yet; wherever it lives,
its functions are called schema-qualified, since the connection's search_path
holds only the subgraph's schema.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.catalog.search.analysis import document_terms, normalize
from subgraphs.catalog.search.dialect import Candidates, Source, TermGroup
from subgraphs.catalog.search.facets import cents
from subgraphs.catalog.search.port import SearchDocument

_TABLES = (
    """CREATE TABLE IF NOT EXISTS search_documents (
        id text COLLATE "C" PRIMARY KEY,
        name_terms text NOT NULL,
        description_terms text NOT NULL,
        category_id text,
        category_name text,
        price_cents bigint NOT NULL,
        currency text NOT NULL,
        in_stock boolean NOT NULL,
        created_at timestamptz NOT NULL,
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', name_terms), 'A')
            || setweight(to_tsvector('simple', description_terms), 'B')
        ) STORED
    )""",
    # fastupdate = off on both GIN indexes: the indexer writes in batches, and a
    # pending list every search must scan made searches ten times slower.
    "CREATE INDEX IF NOT EXISTS search_documents_text ON search_documents USING gin (document)"
    " WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS search_documents_newest ON search_documents (created_at DESC, id)",
    "CREATE INDEX IF NOT EXISTS search_documents_category ON search_documents (category_id)",
    """CREATE TABLE IF NOT EXISTS search_terms (
        term text COLLATE "C" PRIMARY KEY,
        documents integer NOT NULL
    )""",
)
_TRGM_SCHEMA = text(
    "SELECT n.nspname FROM pg_extension AS e JOIN pg_namespace AS n ON n.oid = e.extnamespace"
    " WHERE e.extname = 'pg_trgm'"
)
_UPSERT = text(
    """INSERT INTO search_documents (id, name_terms, description_terms, category_id,
        category_name, price_cents, currency, in_stock, created_at)
    VALUES (:id, :name_terms, :description_terms, :category_id,
        :category_name, :price_cents, :currency, :in_stock, :created_at)
    ON CONFLICT (id) DO UPDATE SET
        name_terms = excluded.name_terms, description_terms = excluded.description_terms,
        category_id = excluded.category_id, category_name = excluded.category_name,
        price_cents = excluded.price_cents, currency = excluded.currency,
        in_stock = excluded.in_stock, created_at = excluded.created_at"""
)
# Lists of ids and terms are joined as unnest(array), not matched with
# `= ANY(array)`: with thousands of elements the planner may otherwise compare
# every row with every element.
_OLD_TERMS = text(
    "SELECT d.name_terms, d.description_terms FROM search_documents AS d"
    " JOIN unnest(CAST(:ids AS text[])) AS i (id) ON d.id = i.id"
)
_REMOVE = text(
    "DELETE FROM search_documents AS d USING unnest(CAST(:ids AS text[])) AS i (id)"
    " WHERE d.id = i.id RETURNING d.name_terms, d.description_terms"
)
_COUNT = text(
    """INSERT INTO search_terms (term, documents)
    SELECT * FROM unnest(CAST(:terms AS text[]), CAST(:counts AS integer[]))
    ON CONFLICT (term) DO UPDATE SET documents = search_terms.documents + excluded.documents"""
)
_FORGET = text(
    "DELETE FROM search_terms AS s USING unnest(CAST(:terms AS text[])) AS t (term)"
    " WHERE s.term = t.term AND s.documents <= 0"
)
# One lock per schema: writers of this index queue, readers never wait.
_WRITE_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.search'))")
# Creating the extension races across schemas and processes; one lock per database.
_EXTENSION_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('shopgraph.pg_trgm'))")
# Trigram similarity only gathers candidates (edit distance decides), so it may
# be looser than pg_trgm's default 0.3, which misses typos in short words.
_CANDIDATE_SIMILARITY = "0.2"
_CANDIDATES_PER_TERM = 50
# ts_rank weights for D, C, B, A: the name (A) counts 2.5 times the description (B).
# The exact words are ranked a second time, so they come before prefixes and
# typos (ts_rank counts 'shoe' and 'shoe':* in one query as one item).
_SCORE = (
    "CAST(ts_rank('{0.1, 0.2, 0.4, 1.0}', d.document, query, 1)"
    " + ts_rank('{0.1, 0.2, 0.4, 1.0}', d.document, exact, 1) AS double precision)"
)


class PostgresIndex:
    def __init__(self) -> None:
        self._trgm: str | None = None  # the quoted schema holding pg_trgm

    async def create(self, session: AsyncSession) -> None:
        trgm = await self._trgm_schema(session, create=True)
        for statement in _TABLES:
            await session.execute(text(statement))
        await session.execute(
            text(
                "CREATE INDEX IF NOT EXISTS search_terms_trigrams"
                f" ON search_terms USING gin (term {trgm}.gin_trgm_ops) WITH (fastupdate = off)"
            )
        )

    async def write(self, session: AsyncSession, documents: Sequence[SearchDocument]) -> None:
        await session.execute(_WRITE_LOCK)
        old = await session.execute(_OLD_TERMS, {"ids": [document.id for document in documents]})
        counts: Counter[str] = Counter()
        counts.subtract(_terms_of(old.all()))
        counts.update(
            term
            for document in documents
            for term in document_terms(document.name, document.description)
        )
        await session.execute(_UPSERT, [_row(document) for document in documents])
        await _count(session, counts)

    async def remove(self, session: AsyncSession, ids: Sequence[str]) -> None:
        await session.execute(_WRITE_LOCK)
        removed = await session.execute(_REMOVE, {"ids": list(ids)})
        counts: Counter[str] = Counter()
        counts.subtract(_terms_of(removed.all()))
        await _count(session, counts)

    async def clear(self, session: AsyncSession) -> None:
        await session.execute(_WRITE_LOCK)
        await session.execute(text("DELETE FROM search_documents"))
        await session.execute(text("DELETE FROM search_terms"))

    async def candidates(self, session: AsyncSession, terms: Sequence[str]) -> Candidates:
        """The vocabulary words most trigram-similar to each term."""
        found: Candidates = {term: [] for term in terms}
        if not terms:
            return found
        trgm = await self._trgm_schema(session, create=False)
        await session.execute(
            text("SELECT set_config('pg_trgm.similarity_threshold', :value, true)"),
            {"value": _CANDIDATE_SIMILARITY},
        )
        rows = await session.execute(
            text(
                "SELECT q.term, v.term, v.documents"  # noqa: S608 - the schema name is quoted; values are bound
                " FROM unnest(CAST(:terms AS text[])) AS q (term)"
                " CROSS JOIN LATERAL ("
                "  SELECT s.term, s.documents FROM search_terms AS s"
                f"  WHERE s.term OPERATOR({trgm}.%) q.term"
                f"  ORDER BY {trgm}.similarity(s.term, q.term) DESC, s.term"
                "  LIMIT :per_term) AS v"
            ),
            {"terms": list(terms), "per_term": _CANDIDATES_PER_TERM},
        )
        for query_term, word, documents in rows.all():
            found[query_term].append((word, documents))
        return found

    def text_source(self, groups: Sequence[TermGroup]) -> Source:
        return Source(
            tables=(
                "search_documents AS d, to_tsquery('simple', :match) AS query,"
                " to_tsquery('simple', :exact) AS exact"
            ),
            condition="d.document @@ query",
            score=_SCORE,
            params={
                "match": _tsquery(groups),
                "exact": " | ".join(_quoted(group.term) for group in groups),
            },
        )

    def created_at_key(self, value: object) -> str:
        if not isinstance(value, datetime):
            raise TypeError(f"created_at came back as {type(value).__name__}")
        return value.isoformat()

    def created_at_param(self, key: str) -> object:
        moment = datetime.fromisoformat(key)
        if moment.utcoffset() is None:
            raise ValueError("a cursor time must carry its offset")
        return moment

    async def _trgm_schema(self, session: AsyncSession, *, create: bool) -> str:
        if self._trgm is None:
            if create:
                await session.execute(_EXTENSION_LOCK)
            schema = (await session.execute(_TRGM_SCHEMA)).scalar_one_or_none()
            if schema is None:
                if not create:
                    raise RuntimeError("pg_trgm is missing: start the search backend first")
                await session.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
                schema = "public"
            self._trgm = '"' + str(schema).replace('"', '""') + '"'
        return self._trgm


def _tsquery(groups: Sequence[TermGroup]) -> str:
    """A tsquery built only from quoted terms: every group must match.

    A group is the term as a prefix (which includes the word itself) and its
    typo expansions.
    """
    clauses = []
    for group in groups:
        lexemes = [_quoted(group.term) + ":*"]
        lexemes += [_quoted(word) for word in group.expansions]
        clauses.append("(" + " | ".join(lexemes) + ")")
    return " & ".join(clauses)


def _quoted(term: str) -> str:
    # Terms are letters and digits only; escaping keeps that safe regardless.
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _terms_of(rows: Iterable[tuple[str, str]]) -> Iterable[str]:
    for name_terms, description_terms in rows:
        yield from set(name_terms.split()) | set(description_terms.split())


async def _count(session: AsyncSession, counts: Counter[str]) -> None:
    """Apply word count changes to the vocabulary, dropping words no document has."""
    changed = sorted(term for term, change in counts.items() if change)
    if not changed:
        return
    params = {"terms": changed, "counts": [counts[term] for term in changed]}
    await session.execute(_COUNT, params)
    fewer = [term for term in changed if counts[term] < 0]
    if fewer:
        await session.execute(_FORGET, {"terms": fewer})


def _row(document: SearchDocument) -> dict[str, object]:
    if document.created_at.utcoffset() is None:
        raise ValueError("SearchDocument.created_at must be timezone-aware")
    return {
        "id": document.id,
        "name_terms": normalize(document.name),
        "description_terms": normalize(document.description),
        "category_id": document.category_id,
        "category_name": document.category_name,
        "price_cents": cents(document.price),
        "currency": document.currency,
        "in_stock": document.in_stock,
        "created_at": document.created_at,
    }
