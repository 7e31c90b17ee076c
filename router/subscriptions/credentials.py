"""The caller's credentials on a subscription: which headers, and until when they hold.

A WebSocket carries them in the `connection_init` payload (browsers cannot set
headers on a socket) or else the upgrade's Authorization header. The expiry
is the bearer token's `exp`; it is read without verifying the signature
because it only ever ends a subscription sooner: the token itself was
verified (by the router when it has keys, and by the subgraph in any case).
"""

from __future__ import annotations

from collections.abc import Mapping

import jwt


def websocket_headers(
    upgrade: Mapping[str, str], payload: Mapping[str, object] | None
) -> dict[str, str]:
    """The upgrade's headers with the `connection_init` payload's authorization on top."""
    headers = {name.lower(): value for name, value in upgrade.items()}
    for name, value in (payload or {}).items():
        if name.lower() == "authorization" and isinstance(value, str):
            headers["authorization"] = value
    return headers


def token_expiry(headers: Mapping[str, str]) -> float | None:
    """The bearer token's `exp` (seconds since the epoch); None without one."""
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) else None
