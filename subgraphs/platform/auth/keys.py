"""The Ed25519 key pair that signs access tokens, and its JWKS form.

Production reads the private key (users) or only the public key (every other
subgraph) from configuration. Embedded dev generates a private key once into
the data directory so tokens survive restarts.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from subgraphs.platform.settings import Settings

DEV_KEY_FILE = "jwt-ed25519.pem"


class KeyConfigurationError(RuntimeError):
    """No usable signing or verification key is configured."""


@dataclass(frozen=True)
class KeyPair:
    public_key: Ed25519PublicKey
    private_key: Ed25519PrivateKey | None = None

    @cached_property
    def kid(self) -> str:
        """RFC 7638 thumbprint, so the key id changes exactly when the key does.

        Kept once worked out: every token verified looks its key up by id."""
        canonical = orjson.dumps({"crv": "Ed25519", "kty": "OKP", "x": self._x})
        return _b64url(hashlib.sha256(canonical).digest())

    @property
    def _x(self) -> str:
        raw = self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return _b64url(raw)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": self._x, "kid": self.kid}
        return {"keys": [{**jwk, "alg": "EdDSA", "use": "sig"}]}


def load_key_pair(settings: Settings) -> KeyPair:
    private_pem = _configured_private_pem(settings)
    if private_pem is not None:
        private_key = serialization.load_pem_private_key(private_pem, password=None)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise KeyConfigurationError("the JWT private key must be an Ed25519 key")
        return KeyPair(private_key.public_key(), private_key)
    if settings.jwt_public_key is not None:
        public_key = serialization.load_pem_public_key(settings.jwt_public_key.encode())
        if not isinstance(public_key, Ed25519PublicKey):
            raise KeyConfigurationError("the JWT public key must be an Ed25519 key")
        return KeyPair(public_key)
    if not settings.embedded:
        raise KeyConfigurationError(
            "set SHOPGRAPH_JWT_PRIVATE_KEY(_FILE) or SHOPGRAPH_JWT_PUBLIC_KEY outside embedded dev"
        )
    private_key = ensure_private_key_file(settings.data_dir / DEV_KEY_FILE)
    return KeyPair(private_key.public_key(), private_key)


def _configured_private_pem(settings: Settings) -> bytes | None:
    if settings.jwt_private_key is not None:
        return settings.jwt_private_key.get_secret_value().encode()
    if settings.jwt_private_key_file is not None:
        return settings.jwt_private_key_file.read_bytes()
    return None


def ensure_private_key_file(path: Path) -> Ed25519PrivateKey:
    """The key in `path`, generated there first if the file does not exist."""
    write_secret_once(
        path,
        lambda: Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyConfigurationError(f"{path} does not hold an Ed25519 key")
    return key


def write_secret_once(path: Path, make: Callable[[], bytes]) -> None:
    """Creates `path` (mode 600) holding `make()`, unless it exists already.

    O_EXCL: when two processes start together, one writes and both read it.
    """
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as file:
        file.write(make())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
