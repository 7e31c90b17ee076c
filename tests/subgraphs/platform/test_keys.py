"""Where the token signing key comes from in dev and in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.keys import DEV_KEY_FILE, KeyConfigurationError, load_key_pair
from subgraphs.platform.auth.tokens import AccessTokens, InvalidToken
from subgraphs.platform.settings import Settings


def test_dev_generates_a_key_once_and_keeps_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = load_key_pair(settings)
    second = load_key_pair(settings)
    assert (tmp_path / DEV_KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert first.kid == second.kid
    token = AccessTokens(first, settings).issue(Principal("u1", Role.STAFF))
    assert AccessTokens(second, settings).verify(token) == Principal("u1", Role.STAFF)


def test_outside_dev_a_key_must_be_configured(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql+asyncpg://db/shop")
    with pytest.raises(KeyConfigurationError, match="SHOPGRAPH_JWT_PRIVATE_KEY"):
        load_key_pair(settings)
    assert not (tmp_path / DEV_KEY_FILE).exists()


def test_a_verifying_process_needs_only_the_public_key(
    tmp_path: Path, signing_key_pem: str
) -> None:
    signer_settings = Settings(data_dir=tmp_path, jwt_private_key=signing_key_pem)
    signer = load_key_pair(signer_settings)
    public_pem = signer.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    verifier_settings = Settings(
        data_dir=tmp_path, database_url="postgresql+asyncpg://db/shop", jwt_public_key=public_pem
    )
    verifier = AccessTokens(load_key_pair(verifier_settings), verifier_settings)

    token = AccessTokens(signer, signer_settings).issue(Principal("u2", Role.CUSTOMER))
    assert verifier.verify(token) == Principal("u2", Role.CUSTOMER)
    with pytest.raises(RuntimeError, match="only verifies"):
        verifier.issue(Principal("u2", Role.STAFF))


def test_tokens_from_another_issuer_or_audience_are_refused(
    tmp_path: Path, signing_key_pem: str
) -> None:
    settings = Settings(data_dir=tmp_path, jwt_private_key=signing_key_pem)
    keys = load_key_pair(settings)
    foreign = AccessTokens(keys, settings.model_copy(update={"jwt_audience": "elsewhere"}))
    token = foreign.issue(Principal("u3", Role.CUSTOMER))
    with pytest.raises(InvalidToken):
        AccessTokens(keys, settings).verify(token)


def test_a_non_ed25519_key_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    rsa_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with pytest.raises(KeyConfigurationError, match="Ed25519"):
        load_key_pair(Settings(data_dir=tmp_path, jwt_private_key=rsa_pem))
