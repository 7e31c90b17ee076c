"""The shared secret subgraphs present to each other for internal calls.

Internal operations (stock reservations, say) are hidden from the public
supergraph and refused without this token. Production configures it; embedded
dev generates one into the data directory, shared by every subgraph there.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from subgraphs.platform.auth.keys import write_secret_once
from subgraphs.platform.settings import Settings

HEADER = "x-shopgraph-service-token"
DEV_TOKEN_FILE = "service-token"  # noqa: S105 - a file name, not a secret


def load_service_token(settings: Settings) -> str | None:
    """The configured token (Settings refuses a short one); generated in dev; None outside
    dev when unset (internal calls off)."""
    if settings.service_token is not None:
        return settings.service_token.get_secret_value()
    if not settings.embedded:
        return None
    return _dev_token(settings.data_dir / DEV_TOKEN_FILE)


def _dev_token(path: Path) -> str:
    write_secret_once(path, lambda: secrets.token_urlsafe(32).encode())
    return path.read_text().strip()


def is_service_call(presented: str | None, expected: str | None) -> bool:
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())
