"""Short-lived access tokens: EdDSA-signed JWTs naming the user and role."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from subgraphs.platform.auth.keyring import KeyRing
from subgraphs.platform.auth.keys import KeyPair
from subgraphs.platform.auth.principal import Principal, Role
from subgraphs.platform.settings import Settings

ALGORITHM = "EdDSA"


class InvalidToken(Exception):
    """The access token is malformed, tampered with, expired or not ours."""


class AccessTokens:
    def __init__(self, keys: KeyRing | KeyPair, settings: Settings) -> None:
        self.keys = keys if isinstance(keys, KeyRing) else KeyRing(keys)
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._ttl = timedelta(seconds=settings.access_token_ttl_seconds)

    def issue(self, principal: Principal, now: datetime | None = None) -> str:
        signing = self.keys.current
        if signing.private_key is None:
            raise RuntimeError("this process only verifies tokens; it holds no private key")
        issued = now or datetime.now(UTC)
        claims = {
            "sub": principal.user_id,
            "role": principal.role.value,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": issued,
            "exp": issued + self._ttl,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(
            claims, signing.private_key, algorithm=ALGORITHM, headers={"kid": signing.kid}
        )

    def verify(self, token: str) -> Principal:
        return self.verify_until(token)[0]

    def verify_until(self, token: str) -> tuple[Principal, datetime]:
        """The caller, and when the token expires (a socket is closed then)."""
        try:
            key = self.keys.verifying_key(jwt.get_unverified_header(token).get("kid"))
            if key is None:
                raise InvalidToken("the token was signed by a key this service does not know")
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["sub", "role", "exp", "iat", "iss", "aud"]},
            )
            principal = Principal(user_id=str(claims["sub"]), role=Role(claims["role"]))
            return principal, datetime.fromtimestamp(int(claims["exp"]), UTC)
        except (jwt.PyJWTError, ValueError) as error:
            raise InvalidToken(str(error)) from error
