"""Who is calling: the `authorization: Bearer <JWT>` header verified into a `Caller`.

Tokens are verified with EdDSA (Ed25519) or RS256 against a PEM public key from
configuration, or against the issuer's JWKS (`router.policies.jwks`: refreshed
periodically and on a token with an unknown `kid`, so key rotation needs no
restart). A missing
token makes an anonymous caller, who simply loses every protected field. A
token that is sent but expired, forged or malformed is refused with 401 before
anything else happens (`rejection`): the client can act on that (sign in
again), where a null field would hide it. A router with no keys cannot tell,
and leaves it to the subgraphs, which verify tokens again themselves.

A token that verified is remembered (by its exact text, with the key that
verified it) until it expires: callers send the same token with every
request, and checking its signature again each time was a sixth of the
router's CPU for a small query. A remembered token whose key has since left
the key set is verified afresh, so it is refused as it would have been.

Scopes are the space-separated `scope` claim plus the `role` claim lower-cased
(the users subgraph issues `role: CUSTOMER|STAFF`, so scope `staff` works).
Policies need logic the router's configuration cannot express, so a policy is
satisfied exactly when the token's `policies` claim lists it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from router.operation import LruCache
from router.policies.jwks import JwksKeys, KeySet, VerifyingKey
from router.policies.requirements import Requirement

# Verified tokens remembered: about one per caller active at once.
VERIFIED_TOKENS = 10_000


@dataclass(frozen=True, slots=True)
class Caller:
    authenticated: bool = False
    scopes: frozenset[str] = frozenset()
    policies: frozenset[str] = frozenset()

    def satisfies(self, requirement: Requirement) -> bool:
        if not self.authenticated:
            return False
        if requirement.kind == "authenticated":
            return True
        held = self.scopes if requirement.kind == "requiresScopes" else self.policies
        return any(group <= held for group in requirement.alternatives)


ANONYMOUS = Caller()


@dataclass(frozen=True, slots=True)
class _Verified:
    """A token's claims, verified with `key` (named `kid` in the token's header)."""

    kid: str | None
    key: VerifyingKey
    claims: dict[str, Any]
    expires: float  # `exp`, required of every token


class TokenVerifier:
    """Verifies bearer tokens against one PEM key or the keys of a JWKS document."""

    def __init__(
        self,
        public_key: str | None = None,
        jwks_url: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        *,
        jwks_refresh_seconds: float = 300.0,
        jwks_min_refetch_seconds: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`clock` (Unix seconds) decides when a remembered token has expired."""
        self.issuer = issuer
        self._clock = clock
        self.audience = audience
        self._static: KeySet = {}
        self.jwks = (
            None
            if jwks_url is None
            else JwksKeys(jwks_url, jwks_refresh_seconds, jwks_min_refetch_seconds)
        )
        if public_key is not None:
            key = load_pem_public_key(public_key.encode())
            if not isinstance(key, (Ed25519PublicKey, RSAPublicKey)):
                raise ValueError("the JWT public key must be an Ed25519 or RSA key")
            self._static[None] = (key, _algorithm(key))
        self._verified: LruCache[str, _Verified] = LruCache(VERIFIED_TOKENS)

    @property
    def _keys(self) -> KeySet:
        if self.jwks is None:
            return self._static
        return {**self._static, **self.jwks.keys} if self._static else self.jwks.keys

    async def start(self) -> None:
        """Fetch the JWKS; without it every caller is anonymous until a fetch works."""
        if self.jwks is not None:
            await self.jwks.start()

    async def close(self) -> None:
        if self.jwks is not None:
            await self.jwks.close()

    async def prepare(self, headers: Mapping[str, str]) -> None:
        """Fetch the JWKS again (rate-limited) when the token sent names a key not held."""
        token = _bearer(headers)
        if token is None or self.jwks is None:
            return
        remembered = self._verified.get(token)
        if remembered is not None:
            kid = remembered.kid  # its header, read when it was verified
        else:
            try:
                kid = jwt.get_unverified_header(token).get("kid")
            except jwt.PyJWTError:
                return  # malformed: `rejection` says so
        if kid not in self._keys:
            await self.jwks.fetch_for(kid)

    def rejection(self, headers: Mapping[str, str]) -> str | None:
        """Why the bearer token sent is refused; None when none is sent or it verifies."""
        token = _bearer(headers)
        if token is None or not self._keys:
            return None
        try:
            self._decode(token)
        except jwt.ExpiredSignatureError:
            return "The bearer token has expired; sign in again."
        except jwt.PyJWTError:
            return "The bearer token is invalid."
        return None

    def caller(self, headers: Mapping[str, str]) -> Caller:
        token = _bearer(headers)
        if token is None:
            return ANONYMOUS
        claims = self._verify(token)
        if claims is None:
            return ANONYMOUS
        scopes = _words(claims.get("scope")) | {role.lower() for role in _words(claims.get("role"))}
        return Caller(True, frozenset(scopes), frozenset(_words(claims.get("policies"))))

    def _verify(self, token: str) -> dict[str, Any] | None:
        try:
            return self._decode(token)
        except jwt.PyJWTError:
            return None

    def _decode(self, token: str) -> dict[str, Any]:
        remembered = self._remembered(token)
        if remembered is not None:
            # What jwt.decode would decide now: only `exp` can have changed.
            if remembered.expires <= self._clock():
                raise jwt.ExpiredSignatureError("Signature has expired")
            return remembered.claims
        kid = jwt.get_unverified_header(token).get("kid")
        found = self._key_for(kid)
        if found is None:
            raise jwt.InvalidKeyError("no key for this token")
        key, algorithm = found
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            issuer=self.issuer,
            audience=self.audience,
            options={"verify_aud": self.audience is not None, "require": ["exp"]},
        )
        self._verified.put(token, _Verified(kid, key, claims, float(claims["exp"])))
        return claims

    def _key_for(self, kid: str | None) -> tuple[VerifyingKey, str] | None:
        keys = self._keys
        return keys.get(kid) or (next(iter(keys.values())) if len(keys) == 1 else None)

    def _remembered(self, token: str) -> _Verified | None:
        """The token as verified before, if the key that verified it is still held."""
        remembered = self._verified.get(token)
        if remembered is None:
            return None
        found = self._key_for(remembered.kid)
        return remembered if found is not None and found[0] is remembered.key else None


def token_subject(headers: Mapping[str, str]) -> str | None:
    """The `sub` claim of the bearer token, unverified: for the usage log's user hash only.

    Reading it costs no signature check; a router with keys has refused a forged
    token already, and one without keys only counts it under another pseudonym.
    """
    token = _bearer(headers)
    if token is None:
        return None
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    subject = claims.get("sub")
    return subject if isinstance(subject, str) else None


def _bearer(headers: Mapping[str, str]) -> str | None:
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _algorithm(key: VerifyingKey) -> str:
    return "EdDSA" if isinstance(key, Ed25519PublicKey) else "RS256"


def _words(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()
