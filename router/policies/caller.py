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

Scopes are the space-separated `scope` claim plus the `role` claim lower-cased
(the users subgraph issues `role: CUSTOMER|STAFF`, so scope `staff` works).
Policies need logic the router's configuration cannot express, so a policy is
satisfied exactly when the token's `policies` claim lists it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from router.policies.jwks import JwksKeys, KeySet, VerifyingKey
from router.policies.requirements import Requirement


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
    ) -> None:
        self.issuer = issuer
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
        kid = jwt.get_unverified_header(token).get("kid")
        found = self._keys.get(kid) or (
            next(iter(self._keys.values())) if len(self._keys) == 1 else None
        )
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
        return claims


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
