"""The signing key and the keys it replaced: what rotation changes, without a restart.

A key file holds the current private key; beside it, `<file>.retired` holds the
public halves of the keys it replaced (newest first, PEM). `rotate_key_file`
(`shopgraph keys rotate`) writes a new key and retires the old one. Every
process that reads the key file (users signs, every subgraph verifies) sees
the change on its next token: the ring compares the file's identity (inode and
mtime) on each use, a `stat` that costs microseconds. Retired keys keep
verifying the tokens they signed until those expire, and stay in the JWKS so
the router can verify them too.

A key given as PEM text in settings (SHOPGRAPH_JWT_PRIVATE_KEY, _PUBLIC_KEY)
is fixed for the life of the process: an environment cannot change under a
running process, so rotating it means restarting every process that holds it.
Given beside the key file it would silently shadow the file's rotations (or
be shadowed by them), so that combination is refused at start.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from subgraphs.platform.auth.keys import (
    DEV_KEY_FILE,
    KeyConfigurationError,
    KeyPair,
    ensure_private_key_file,
    load_key_pair,
)
from subgraphs.platform.settings import Settings

RETIRED_SUFFIX = ".retired"
PEM_END = b"-----END PUBLIC KEY-----\n"
# Access tokens live minutes; two retired keys cover two quick rotations in a row.
KEEP_RETIRED = 2


@dataclass(frozen=True, slots=True)
class _Loaded:
    identity: tuple[int, int]  # (inode, mtime ns) of the key file read
    current: KeyPair
    retired: tuple[KeyPair, ...]


class KeyRing:
    """The current key pair and the retired public keys, reread when the key file changes."""

    def __init__(self, current: KeyPair, path: Path | None = None) -> None:
        self._path = path
        self._loaded = _Loaded((0, 0), current, ())
        if path is not None:
            self._loaded = _load(path)

    @property
    def current(self) -> KeyPair:
        return self._fresh().current

    def verifying_key(self, kid: str | None) -> Ed25519PublicKey | None:
        """The public key with id `kid` (a token without one: the current key)."""
        loaded = self._fresh()
        if kid is None:
            return loaded.current.public_key
        for pair in (loaded.current, *loaded.retired):
            if pair.kid == kid:
                return pair.public_key
        return None

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        loaded = self._fresh()
        return {
            "keys": [k for pair in (loaded.current, *loaded.retired) for k in pair.jwks()["keys"]]
        }

    def _fresh(self) -> _Loaded:
        if self._path is not None and _identity(self._path) != self._loaded.identity:
            self._loaded = _load(self._path)
        return self._loaded


def load_key_ring(settings: Settings) -> KeyRing:
    """A ring that follows the key file when the private key comes from one; else fixed."""
    path = settings.jwt_private_key_file
    as_text = [
        name
        for name, value in (
            ("SHOPGRAPH_JWT_PRIVATE_KEY", settings.jwt_private_key),
            ("SHOPGRAPH_JWT_PUBLIC_KEY", settings.jwt_public_key),
        )
        if value is not None
    ]
    if path is not None and as_text:
        raise KeyConfigurationError(
            f"{' and '.join(as_text)} (PEM text) and SHOPGRAPH_JWT_PRIVATE_KEY_FILE are both "
            "set: a key given as text never rotates, so it would hide or be hidden by the "
            "file that `shopgraph keys rotate` replaces. Set only the file to rotate keys "
            "without restarts, or only the text (a rotation then restarts every process)."
        )
    configured = bool(as_text)
    if path is None and settings.embedded and not configured:
        path = settings.data_dir / DEV_KEY_FILE
    if path is None:
        return KeyRing(load_key_pair(settings))
    ensure_private_key_file(path)
    return KeyRing(load_key_pair(settings), path)


def rotate_key_file(path: Path) -> tuple[KeyPair, KeyPair]:
    """Replace the key in `path` with a new one and retire the old; (old, new)."""
    old_key = ensure_private_key_file(path)
    old = KeyPair(old_key.public_key(), old_key)
    retired = path.with_name(path.name + RETIRED_SUFFIX)
    kept = _read_retired(retired)[: KEEP_RETIRED - 1]
    # The retired file is written before the key: a reader that sees the new
    # key always finds the old one among the retired.
    _replace(retired, b"".join(_public_pem(k) for k in (old.public_key, *kept)))
    new_key = Ed25519PrivateKey.generate()
    _replace(
        path,
        new_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    return old, KeyPair(new_key.public_key(), new_key)


def _load(path: Path) -> _Loaded:
    identity = _identity(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyConfigurationError(f"{path} does not hold an Ed25519 key")
    retired = _read_retired(path.with_name(path.name + RETIRED_SUFFIX))
    return _Loaded(identity, KeyPair(key.public_key(), key), tuple(KeyPair(k) for k in retired))


def _read_retired(path: Path) -> list[Ed25519PublicKey]:
    if not path.exists():
        return []
    keys = []
    for block in path.read_bytes().split(PEM_END):
        if block.strip():
            key = serialization.load_pem_public_key(block + PEM_END)
            if isinstance(key, Ed25519PublicKey):
                keys.append(key)
    return keys


def _public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _replace(path: Path, content: bytes) -> None:
    """Write `content` to `path` atomically (mode 600): readers see old or new, never half."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    os.replace(temporary, path)


def _identity(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns
