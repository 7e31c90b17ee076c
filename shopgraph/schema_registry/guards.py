"""What the registry service's checks protect, kept in its database: trusted documents
(the operations clients may send) and approvals of breaking changes.

Teams add them over HTTP (`POST /v1/documents` with a Trusted Documents
manifest, `POST /v1/approvals`), so every registry process reads the same
ones and nothing depends on a folder beside one of them. A document is keyed
by client and hash: sending the same manifest again adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, PrimaryKeyConstraint, String, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncSession

from shopgraph.schema_registry.approvals import Approval
from shopgraph.schema_registry.operations import TrustedDocument
from shopgraph.schema_registry.versions import metadata
from subgraphs.platform.columns import UTCDateTime, utc_now
from subgraphs.platform.database import Database

trusted_documents = Table(
    "trusted_documents",
    metadata,
    Column("client", String(200), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("client_version", String(200), nullable=False),
    Column("path", String(500), nullable=False),  # where it came from: client/File.graphql
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("client", "hash"),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("coordinate", String(500), nullable=False),
    Column("code", String(100), nullable=True),  # None: every change at the coordinate
    Column("reason", Text, nullable=False),
    Column("approved_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


class ManifestInvalid(ValueError):
    """A manifest sent to the registry is not a Trusted Documents manifest."""


def documents_from_manifest(manifest: Any) -> list[TrustedDocument]:
    """The documents of a manifest (`shopgraph schema operations build`'s format)."""
    items = manifest.get("documents") if isinstance(manifest, dict) else None
    if not isinstance(items, list):
        raise ManifestInvalid("expected an object with a 'documents' list")
    documents = []
    for index, item in enumerate(items, start=1):
        client = item.get("client") if isinstance(item, dict) else None
        body = item.get("body") if isinstance(item, dict) else None
        if not isinstance(body, str) or not isinstance(client, dict):
            raise ManifestInvalid(f"document {index} needs 'body' and 'client'")
        name, version = client.get("name"), client.get("version") or "unversioned"
        if not isinstance(name, str) or not name or not isinstance(version, str):
            raise ManifestInvalid(f"document {index}: 'client.name' must be a string")
        digest = hashlib.sha256(body.encode()).hexdigest()
        if item.get("hash", digest) != digest:
            raise ManifestInvalid(f"document {index}: 'hash' is not the SHA-256 of its body")
        stem = item.get("name") if isinstance(item.get("name"), str) else digest[:12]
        documents.append(TrustedDocument(name, version, Path(name) / f"{stem}.graphql", body))
    return documents


class GuardStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def documents(self) -> tuple[TrustedDocument, ...]:
        query = select(trusted_documents).order_by(
            trusted_documents.c.client, trusted_documents.c.path
        )
        async with self.database.session() as session:
            rows = await session.execute(query)
        return tuple(
            TrustedDocument(row.client, row.client_version, Path(row.path), row.body)
            for row in rows
        )

    async def add_documents(self, documents: Iterable[TrustedDocument]) -> int:
        """Store the documents not held yet; how many were new."""
        async with self.database.session() as session:
            held = await _held(session)
            new = {(d.client, d.hash): d for d in documents if (d.client, d.hash) not in held}
            for document in new.values():
                await session.execute(
                    trusted_documents.insert().values(
                        client=document.client,
                        hash=document.hash,
                        client_version=document.client_version,
                        path=str(document.path),
                        body=document.body,
                        created_at=utc_now(),
                    )
                )
        return len(new)

    async def approvals(self) -> tuple[Approval, ...]:
        async with self.database.session() as session:
            rows = await session.execute(select(approvals).order_by(approvals.c.id))
        return tuple(Approval(r.coordinate, r.reason, r.approved_by, r.code) for r in rows)

    async def add_approvals(self, given: Iterable[Approval]) -> int:
        """Store the approvals not held yet (same coordinate, code and approver); how many."""
        async with self.database.session() as session:
            rows = await session.execute(
                select(approvals.c.coordinate, approvals.c.code, approvals.c.approved_by)
            )
            held = {tuple(row) for row in rows}
            added = 0
            for approval in given:
                key = (approval.coordinate, approval.code, approval.approved_by)
                if key in held:
                    continue
                held.add(key)
                added += 1
                await session.execute(
                    approvals.insert().values(
                        coordinate=approval.coordinate,
                        code=approval.code,
                        reason=approval.reason,
                        approved_by=approval.approved_by,
                        created_at=utc_now(),
                    )
                )
        return added


async def _held(session: AsyncSession) -> set[tuple[str, str]]:
    rows = await session.execute(select(trusted_documents.c.client, trusted_documents.c.hash))
    return {(row.client, row.hash) for row in rows}
