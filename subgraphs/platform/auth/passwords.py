"""Password hashing: argon2id for new hashes, legacy bcrypt still verified and upgraded.

Hashing costs ~0.1-0.25 s of CPU and `memory_kib` of memory, so it runs
in a worker thread, never on the event loop, and only `slots` hashes (one per
core by default) run at once. A few more may wait; beyond those a request is
refused at once with `HashingBusy`, so a flood of sign-ins costs neither memory
nor a queue that every later client waits behind.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import TypeVar

from passlib.context import CryptContext

T = TypeVar("T")
# Beyond this, passlib refuses a secret with PasswordSizeError; callers check first.
MAX_PASSWORD_BYTES = 4096


class HashingBusy(Exception):
    """Every hashing slot and queue place is taken: refuse the request, do not wait."""


class PasswordHasher:
    def __init__(
        self, *, time_cost: int, memory_kib: int, slots: int | None, queue: int | None
    ) -> None:
        """argon2id at `time_cost` rounds over `memory_kib`; `slots` hashes at once
        (None: one per core) and `queue` waiting (None: four per slot)."""
        self._context = CryptContext(
            schemes=["argon2", "bcrypt"],
            deprecated=["bcrypt"],
            argon2__type="ID",
            argon2__rounds=time_cost,
            argon2__memory_cost=memory_kib,
        )
        # Verifying against this when the account does not exist keeps the
        # response time of "unknown email" equal to that of "wrong password".
        self._decoy = self._context.hash("decoy password")
        slots = slots or os.cpu_count() or 1
        self._admitted_max = slots + (4 * slots if queue is None else queue)
        self._admitted = 0
        self._slots = asyncio.Semaphore(slots)

    async def hash(self, password: str) -> str:
        return await self._run(self._context.hash, password)

    async def verify(self, password: str, stored: str | None) -> tuple[bool, str | None]:
        """Whether `password` matches, and a fresh hash when the stored one is outdated.

        An unknown account (`stored` None) is verified against a decoy hash through
        the same slots, so it costs the same time as a wrong password.
        """
        ok, upgraded = await self._run(
            self._context.verify_and_update, password, stored or self._decoy
        )
        if stored is None:
            return False, None
        return bool(ok), upgraded

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        # Counted without an await in between, so admission is exact on one loop.
        if self._admitted >= self._admitted_max:
            raise HashingBusy()
        self._admitted += 1
        try:
            async with self._slots:
                return await asyncio.to_thread(work, *args)
        finally:
            self._admitted -= 1
