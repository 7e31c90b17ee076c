"""Access tokens this process has verified, so a token sent again is not verified again.

The router forwards the caller's bearer token with every fetch, so one
checkout brings the same token to commerce and catalog several times, and
each verification (two JWT parses and an Ed25519 signature check) cost more
CPU than the rest of the subgraph's HTTP handling. A token verified once is
taken again, without parsing, while:

  - it has not expired (checked against the clock on every use, as a full
    verification would), and
  - the key that verified it is still the one the key ring gives for its key
    id: a rotation that drops the key, or any reload of the key file, makes
    the token go through full verification again.

Only successes are remembered; a bad token is refused afresh every time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.auth.tokens import AccessTokens

# Distinct tokens remembered: about one per caller active within a token's lifetime.
REMEMBERED_TOKENS = 4096


@dataclass(frozen=True, slots=True)
class _Verified:
    principal: Principal
    expires_at: datetime
    kid: str | None
    key: Ed25519PublicKey


def _now() -> datetime:
    return datetime.now(UTC)


class VerifiedTokens:
    def __init__(self, size: int = REMEMBERED_TOKENS, clock: Callable[[], datetime] = _now) -> None:
        self.size = size
        self.clock = clock
        self._verified: OrderedDict[str, _Verified] = OrderedDict()

    def verify_until(self, tokens: AccessTokens, token: str) -> tuple[Principal, datetime]:
        """As `tokens.verify_until(token)`: the caller and the expiry, or InvalidToken."""
        known = self._verified.get(token)
        if known is not None and self._still_valid(tokens, known):
            self._verified.move_to_end(token)
            return known.principal, known.expires_at
        kid, key = _verifying_key(tokens, token)
        principal, expires_at = tokens.verify_until(token)
        if key is not None:
            self._remember(token, _Verified(principal, expires_at, kid, key))
        return principal, expires_at

    def _still_valid(self, tokens: AccessTokens, known: _Verified) -> bool:
        return known.expires_at > self.clock() and tokens.keys.verifying_key(known.kid) is known.key

    def _remember(self, token: str, verified: _Verified) -> None:
        self._verified[token] = verified
        self._verified.move_to_end(token)
        if len(self._verified) > self.size:
            self._verified.popitem(last=False)


def _verifying_key(tokens: AccessTokens, token: str) -> tuple[str | None, Ed25519PublicKey | None]:
    """The token's key id and the ring's key for it, read as `verify_until` reads them.

    Read before verifying: if the ring reloads in between, this key is the older
    ring's, so the next use sees a different key and verifies in full again.
    """
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except (jwt.PyJWTError, ValueError):
        return None, None  # malformed: `verify_until` refuses it, nothing to remember
    if kid is not None and not isinstance(kid, str):
        return None, None
    return kid, tokens.keys.verifying_key(kid)
