"""The registry service's storage: every published version, newest last.

A version is a whole snapshot (every subgraph's SDL and the composed
supergraph), so reading the latest or any older one is a single row, and the
diff between two versions is a comparison of their supergraphs.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.platform.columns import NAMING_CONVENTION, UTCDateTime, utc_now
from subgraphs.platform.database import Database

metadata = MetaData(naming_convention=NAMING_CONVENTION)

schema_versions = Table(
    "schema_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("subgraphs", Text, nullable=False),  # JSON: name -> SDL
    Column("supergraph", Text, nullable=False),
    Column("etag", String(64), nullable=False),
    Column("changed", Text, nullable=False),  # JSON: names of the subgraphs this version changed
    Column("changes", Text, nullable=False),  # JSON: the classified changes
    Column("forced", Boolean, nullable=False),
)


@dataclass(frozen=True)
class SchemaVersion:
    id: int
    created_at: datetime
    subgraphs: dict[str, str]
    supergraph: str
    etag: str
    changed: list[str]
    changes: list[dict[str, Any]]
    forced: bool

    def summary(self) -> dict[str, Any]:
        return {
            "version": self.id,
            "createdAt": self.created_at.isoformat(),
            "changedSubgraphs": self.changed,
            "changes": len(self.changes),
            "forced": self.forced,
            "etag": self.etag,
        }


def etag_of(supergraph: str) -> str:
    return hashlib.sha256(supergraph.encode()).hexdigest()


def _version(row: Any) -> SchemaVersion:
    return SchemaVersion(
        row.id,
        row.created_at,
        orjson.loads(row.subgraphs),
        row.supergraph,
        row.etag,
        orjson.loads(row.changed),
        orjson.loads(row.changes),
        row.forced,
    )


async def _latest(session: AsyncSession) -> SchemaVersion | None:
    newest = select(func.max(schema_versions.c.id)).scalar_subquery()
    query = select(schema_versions).where(schema_versions.c.id == newest)
    row = (await session.execute(query)).first()
    return _version(row) if row else None


class Publishing:
    """The publish transaction: read the latest version, maybe add the next one."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest(self) -> SchemaVersion | None:
        return await _latest(self.session)

    async def add(
        self,
        subgraphs: dict[str, str],
        supergraph: str,
        changed: list[str],
        changes: list[dict[str, Any]],
        *,
        forced: bool,
    ) -> int:
        values = {
            "created_at": utc_now(),
            "subgraphs": orjson.dumps(subgraphs).decode(),
            "supergraph": supergraph,
            "etag": etag_of(supergraph),
            "changed": orjson.dumps(changed).decode(),
            "changes": orjson.dumps(changes).decode(),
            "forced": forced,
        }
        statement = insert(schema_versions).values(**values).returning(schema_versions.c.id)
        return int((await self.session.execute(statement)).scalar_one())


class VersionStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    @asynccontextmanager
    async def publishing(self) -> AsyncIterator[Publishing]:
        """One publish at a time across every registry process sharing the database.

        PostgreSQL: a transaction-scoped advisory lock. SQLite: the platform's
        sessions begin with BEGIN IMMEDIATE, which takes the write lock.
        """
        async with self.database.session() as session:
            if not self.database.is_sqlite:
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext('shopgraph.registry.publish'))")
                )
            yield Publishing(session)

    async def latest(self) -> SchemaVersion | None:
        async with self.database.session() as session:
            return await _latest(session)

    async def get(self, version: int) -> SchemaVersion | None:
        async with self.database.session() as session:
            query = select(schema_versions).where(schema_versions.c.id == version)
            row = (await session.execute(query)).first()
        return _version(row) if row else None

    async def all(self) -> list[SchemaVersion]:
        async with self.database.session() as session:
            rows = await session.execute(select(schema_versions).order_by(schema_versions.c.id))
        return [_version(row) for row in rows]
