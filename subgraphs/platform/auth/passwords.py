"""Password hashing: argon2id for new hashes, legacy bcrypt still verified and upgraded.

Hashing costs ~0.1-0.25 s of CPU, so it runs in a worker thread, never on the
event loop.
"""

from __future__ import annotations

import asyncio

from passlib.context import CryptContext

from subgraphs.platform.settings import Settings


class PasswordHasher:
    def __init__(self, settings: Settings) -> None:
        self._context = CryptContext(
            schemes=["argon2", "bcrypt"],
            deprecated=["bcrypt"],
            argon2__type="ID",
            argon2__rounds=settings.argon2_time_cost,
            argon2__memory_cost=settings.argon2_memory_kib,
        )
        # Verifying against this when the account does not exist keeps the
        # response time of "unknown email" equal to that of "wrong password".
        self._decoy = self._context.hash("decoy password")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._context.hash, password)

    async def verify(self, password: str, stored: str | None) -> tuple[bool, str | None]:
        """Whether `password` matches, and a fresh hash when the stored one is outdated."""
        ok, upgraded = await asyncio.to_thread(
            self._context.verify_and_update, password, stored or self._decoy
        )
        if stored is None:
            return False, None
        return bool(ok), upgraded
