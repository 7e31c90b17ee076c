"""The token issuer's JWKS, kept current while the router runs.

The document is fetched at start, again every `refresh_seconds`, and again
when a token names a `kid` the router does not hold: that is what a key
rotation looks like from here, and it must not make callers anonymous until
the next periodic refresh. Those on-demand fetches are rate-limited: after one
that did not find its key id, no other for `min_refetch_seconds`, so a flood
of tokens with made-up key ids cannot turn the router into a load generator
against the users subgraph, while a real rotation (whose key is found) never
waits. A failed fetch keeps the keys held before (they still verify the
tokens they signed).

An issuer that does not answer at start is usually starting too (one process in
`shopgraph dev`, compose's start order), so until the first keys arrive the
router asks again after `first_retry_seconds`, doubling up to `refresh_seconds`.
Failures in the first `startup_grace_seconds` with no keys held yet are INFO;
any other failure is a WARNING.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import aiohttp
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

log = logging.getLogger(__name__)

ALGORITHMS = frozenset({"EdDSA", "RS256"})
VerifyingKey = Ed25519PublicKey | RSAPublicKey
KeySet = dict[str | None, tuple[VerifyingKey, str]]  # kid -> (key, algorithm)
JWKS_TIMEOUT = aiohttp.ClientTimeout(total=10)


class JwksKeys:
    def __init__(
        self,
        url: str,
        refresh_seconds: float = 300.0,
        min_refetch_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        first_retry_seconds: float = 1.0,
        startup_grace_seconds: float = 30.0,
    ) -> None:
        self.url = url
        self.refresh_seconds = refresh_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self.first_retry_seconds = first_retry_seconds
        self.startup_grace_seconds = startup_grace_seconds
        self._started: float | None = None
        self.keys: KeySet = {}
        self._clock = clock
        self._last_miss: float | None = None  # when a fetch for a key id did not find it
        self._lock = asyncio.Lock()
        self._refresher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._started = self._clock()
        await self.fetch()
        self._refresher = asyncio.create_task(self._refresh_periodically())

    async def close(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
            self._refresher = None

    async def fetch_for(self, kid: str | None) -> None:
        """Fetch again because a token names `kid`, unless it is known or we fetched lately."""
        if kid in self.keys:
            return
        async with self._lock:
            # Requests that waited on the lock find the key the first one fetched.
            if kid in self.keys:
                return
            missed = self._last_miss
            if missed is not None and self._clock() - missed < self.min_refetch_seconds:
                return
            await self.fetch()
            if kid not in self.keys:
                self._last_miss = self._clock()

    async def fetch(self) -> bool:
        """Replace the keys held with the issuer's; False (keys kept) when that fails."""
        try:
            async with (
                aiohttp.ClientSession(timeout=JWKS_TIMEOUT) as session,
                session.get(self.url, raise_for_status=True) as response,
            ):
                document = await response.json(content_type=None)
            fetched = jwt.PyJWKSet.from_dict(document).keys
        except (aiohttp.ClientError, TimeoutError, ValueError, jwt.PyJWTError) as error:
            held = "keeping the keys held" if self.keys else "no keys held yet"
            log.log(
                logging.INFO if self._starting() else logging.WARNING,
                "could not load the JWKS from %s (%r): %s",
                self.url,
                error,
                held,
            )
            return False
        keys: KeySet = {}
        for jwk in fetched:
            if jwk.algorithm_name in ALGORITHMS and isinstance(jwk.key, VerifyingKey):
                keys[jwk.key_id] = (jwk.key, jwk.algorithm_name)
        if set(keys) != set(self.keys):
            log.info("JWKS from %s now holds key ids %s", self.url, sorted(map(str, keys)))
        self.keys = keys
        return True

    def _starting(self) -> bool:
        """Whether no keys arrived yet and the issuer may still be starting."""
        started = self._started
        return (
            not self.keys
            and started is not None
            and self._clock() - started < self.startup_grace_seconds
        )

    async def _refresh_periodically(self) -> None:
        retry = self.first_retry_seconds
        while True:
            if self.keys:
                await asyncio.sleep(self.refresh_seconds)
            else:
                await asyncio.sleep(retry)
                retry = min(retry * 2, self.refresh_seconds)
            async with self._lock:
                await self.fetch()
