"""Who is calling: the `authorization: Bearer <JWT>` header verified into a `Caller`.

Tokens are verified with EdDSA (Ed25519) or RS256 against a PEM public key from
configuration, or against a JWKS document fetched once at start. A missing or
invalid token makes an anonymous caller, not a 401: subgraphs verify tokens
again themselves, and anonymous callers simply lose every protected field.

Scopes are the space-separated `scope` claim plus the `role` claim lower-cased
(the users subgraph issues `role: CUSTOMER|STAFF`, so scope `staff` works).
Policies need logic the router's configuration cannot express, so a policy is
satisfied exactly when the token's `policies` claim lists it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from router.policies.requirements import Requirement

log = logging.getLogger(__name__)

ALGORITHMS = frozenset({"EdDSA", "RS256"})
VerifyingKey = Ed25519PublicKey | RSAPublicKey
JWKS_TIMEOUT = aiohttp.ClientTimeout(total=10)


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
    ) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self._keys: dict[str | None, tuple[VerifyingKey, str]] = {}
        if public_key is not None:
            key = load_pem_public_key(public_key.encode())
            if not isinstance(key, (Ed25519PublicKey, RSAPublicKey)):
                raise ValueError("the JWT public key must be an Ed25519 or RSA key")
            self._keys[None] = (key, _algorithm(key))

    async def start(self) -> None:
        """Fetch the JWKS document once; without it every caller is anonymous (fail closed)."""
        if self.jwks_url is None:
            return
        try:
            async with (
                aiohttp.ClientSession(timeout=JWKS_TIMEOUT) as session,
                session.get(self.jwks_url, raise_for_status=True) as response,
            ):
                document = await response.json(content_type=None)
            keys = jwt.PyJWKSet.from_dict(document).keys
        except (aiohttp.ClientError, TimeoutError, ValueError, jwt.PyJWTError):
            log.exception("could not load the JWKS from %s: callers are anonymous", self.jwks_url)
            return
        for jwk in keys:
            if jwk.algorithm_name in ALGORITHMS and isinstance(jwk.key, VerifyingKey):
                self._keys[jwk.key_id] = (jwk.key, jwk.algorithm_name)

    def caller(self, headers: Mapping[str, str]) -> Caller:
        header = headers.get("authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return ANONYMOUS
        claims = self._verify(token.strip())
        if claims is None:
            return ANONYMOUS
        scopes = _words(claims.get("scope")) | {role.lower() for role in _words(claims.get("role"))}
        return Caller(True, frozenset(scopes), frozenset(_words(claims.get("policies"))))

    def _verify(self, token: str) -> dict[str, Any] | None:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            found = self._keys.get(kid) or (
                next(iter(self._keys.values())) if len(self._keys) == 1 else None
            )
            if found is None:
                return None
            key, algorithm = found
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self.issuer,
                audience=self.audience,
                options={"verify_aud": self.audience is not None, "require": ["exp"]},
            )
        except jwt.PyJWTError:
            return None
        return claims


def _algorithm(key: VerifyingKey) -> str:
    return "EdDSA" if isinstance(key, Ed25519PublicKey) else "RS256"


def _words(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()
