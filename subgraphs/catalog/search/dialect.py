"""What each SQL dialect gives DatabaseSearch: its tables, its text match, its words.

DatabaseSearch writes the filters, pagination and facet SQL once; a dialect
(SQLite FTS5 or PostgreSQL full-text search) supplies the parts that differ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.catalog.search.port import SearchDocument

# Per query term: indexed words that might be typos of it, with their document counts.
Candidates = dict[str, list[tuple[str, int]]]


@dataclass(frozen=True, slots=True)
class TermGroup:
    """One query term and the indexed words it also matches as a typo."""

    term: str
    expansions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Source:
    """SQL fragments selecting the documents that match the text, with a score.

    `tables` must expose the documents table as `d`; `score` is higher for a
    better match. Every value in them is a bound parameter from `params`.
    """

    tables: str
    condition: str
    score: str
    params: Mapping[str, object] = field(default_factory=dict)


class Dialect(Protocol):
    async def create(self, session: AsyncSession) -> None:
        """Create the index tables if missing."""
        ...

    async def write(self, session: AsyncSession, documents: Sequence[SearchDocument]) -> None:
        """Insert or replace documents with distinct ids."""
        ...

    async def remove(self, session: AsyncSession, ids: Sequence[str]) -> None: ...

    async def clear(self, session: AsyncSession) -> None: ...

    async def candidates(self, session: AsyncSession, terms: Sequence[str]) -> Candidates:
        """Indexed words that may be typos of each term (a superset: analysis decides)."""
        ...

    def text_source(self, groups: Sequence[TermGroup]) -> Source: ...

    def created_at_key(self, value: object) -> str:
        """A document's created_at as read from the table, as cursor text."""
        ...

    def created_at_param(self, key: str) -> object:
        """Cursor text back into a bind value comparable with the created_at column.

        Raises ValueError when the text is not a time.
        """
        ...
