"""Opaque refresh tokens: stored hashed, rotated on every use, reuse kills the family.

A stolen refresh token is used by two parties. Whoever uses it second presents
a token that was already rotated; that is the signal to revoke every token
descending from the same sign-in, the thief's and the owner's alike.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.platform.columns import utc_now
from subgraphs.platform.database import Database
from subgraphs.platform.errors import DomainError
from subgraphs.users.errors import UsersErrorCode
from subgraphs.users.models import RefreshTokenRow
from subgraphs.users.settings import UsersSettings

INVALID = UsersErrorCode.INVALID_REFRESH_TOKEN
REUSED = UsersErrorCode.REFRESH_TOKEN_REUSED


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(
    session: AsyncSession, settings: UsersSettings, user_id: str, family_id: str | None = None
) -> str:
    token = secrets.token_urlsafe(32)
    now = utc_now()
    session.add(
        RefreshTokenRow(
            id=str(uuid.uuid4()),
            user_id=user_id,
            family_id=family_id or str(uuid.uuid4()),
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    return token


async def rotate(database: Database, settings: UsersSettings, token: str) -> tuple[str, str]:
    """Spends `token` and returns (user id, its successor), or raises DomainError."""
    now = utc_now()
    async with database.session() as session:
        row = await session.scalar(
            select(RefreshTokenRow).where(RefreshTokenRow.token_hash == _digest(token))
        )
        if row is None or row.expires_at <= now:
            raise DomainError(INVALID, "this refresh token is not valid")
        # Conditional update: of two requests racing with the same token, one wins.
        spent: CursorResult[Any] = await session.execute(  # type: ignore[assignment]  # UPDATE gives a CursorResult
            update(RefreshTokenRow)
            .where(
                RefreshTokenRow.id == row.id,
                RefreshTokenRow.rotated_at.is_(None),
                RefreshTokenRow.revoked_at.is_(None),
            )
            .values(rotated_at=now)
        )
        if spent.rowcount == 1:
            return row.user_id, await issue(session, settings, row.user_id, row.family_id)
        family_id = row.family_id
    await revoke_family(database, family_id)
    raise DomainError(REUSED, "this refresh token was already used; sign in again")


async def revoke(database: Database, token: str) -> bool:
    """Signs out the session `token` belongs to; False when the token is unknown."""
    async with database.session() as session:
        family_id = await session.scalar(
            select(RefreshTokenRow.family_id).where(RefreshTokenRow.token_hash == _digest(token))
        )
    if family_id is None:
        return False
    await revoke_family(database, family_id)
    return True


async def revoke_family(database: Database, family_id: str) -> None:
    async with database.session() as session:
        await session.execute(
            update(RefreshTokenRow)
            .where(
                RefreshTokenRow.family_id == family_id,
                RefreshTokenRow.revoked_at.is_(None),
            )
            .values(revoked_at=utc_now())
        )
