"""Bearer tokens verified once and remembered until they expire or their key leaves."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from router.policies import Caller, TokenVerifier

KEY = Ed25519PrivateKey.generate()
PEM = KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
EXPIRED = "The bearer token has expired; sign in again."
INVALID = "The bearer token is invalid."
STAFF = Caller(True, frozenset({"staff", "read"}))


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def bearer(key: Ed25519PrivateKey = KEY, expires_in: int = 600, **header: str) -> dict[str, str]:
    claims = {"sub": "u1", "role": "STAFF", "scope": "read", "exp": int(time.time()) + expires_in}
    return {"authorization": f"Bearer {jwt.encode(claims, key, 'EdDSA', headers=header)}"}


@pytest.fixture
def signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token whose signature jwt.decode checks, in order."""
    checked: list[str] = []
    decode = jwt.decode

    def counted(token: str, *args: Any, **kwargs: Any) -> Any:
        checked.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counted)
    return checked


def test_a_token_is_verified_once_for_all_its_requests(signature_checks: list[str]) -> None:
    verifier = TokenVerifier(PEM)
    headers = bearer()
    for _ in range(3):
        assert verifier.rejection(headers) is None
        assert verifier.caller(headers) == STAFF
    assert signature_checks == [headers["authorization"].removeprefix("Bearer ")]


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    clock = Clock()
    verifier = TokenVerifier(PEM, clock=clock)
    headers = bearer(expires_in=60)
    assert verifier.rejection(headers) is None
    clock.now += 59
    assert verifier.caller(headers) == STAFF
    clock.now += 2
    assert verifier.rejection(headers) == EXPIRED
    assert verifier.caller(headers) == Caller()


def test_a_token_signed_otherwise_is_not_taken_for_a_remembered_one(
    signature_checks: list[str],
) -> None:
    verifier = TokenVerifier(PEM)
    genuine = bearer()
    head, claims, _ = genuine["authorization"].split(".")
    forged_signature = bearer(Ed25519PrivateKey.generate())["authorization"].split(".")[2]
    forged = {"authorization": f"{head}.{claims}.{forged_signature}"}
    assert verifier.rejection(genuine) is None
    assert verifier.rejection(forged) == INVALID
    assert verifier.rejection(forged) == INVALID
    assert verifier.caller(forged) == Caller()
    assert len(signature_checks) == 4  # the genuine token once, the forged one every time


def test_a_remembered_token_whose_key_left_the_key_set_is_refused() -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    verifier = TokenVerifier(jwks_url="http://127.0.0.1:9/never-fetched")
    assert verifier.jwks is not None
    verifier.jwks.keys = {"k1": (old.public_key(), "EdDSA")}  # as a JWKS fetch sets them
    headers = bearer(old, kid="k1")
    assert verifier.rejection(headers) is None
    verifier.jwks.keys = {"k2": (new.public_key(), "EdDSA")}  # the issuer rotated k1 out
    assert verifier.rejection(headers) == INVALID
    assert verifier.caller(headers) == Caller()
