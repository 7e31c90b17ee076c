"""Key rotation: a process that holds the key file follows `shopgraph keys rotate`."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from shopgraph.cli import app
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.keyring import load_key_ring, rotate_key_file
from subgraphs.platform.auth.keys import DEV_KEY_FILE, KeyConfigurationError, KeyPair
from subgraphs.platform.auth.tokens import AccessTokens, InvalidToken
from subgraphs.platform.settings import Settings

ANN = Principal("u1", Role.CUSTOMER)


def kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def test_a_running_process_signs_with_the_new_key_and_still_verifies_the_old(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    signer = AccessTokens(load_key_ring(settings), settings)
    verifier = AccessTokens(load_key_ring(settings), settings)  # another process, same file
    before = signer.issue(ANN)
    old_kid = signer.keys.current.kid

    result = CliRunner().invoke(app, ["keys", "rotate", str(tmp_path / DEV_KEY_FILE)])
    assert result.exit_code == 0, result.output
    after = signer.issue(ANN)

    new_kid = signer.keys.current.kid
    assert new_kid != old_kid
    assert (kid(before), kid(after)) == (old_kid, new_kid)
    assert verifier.verify(before) == ANN
    assert verifier.verify(after) == ANN
    assert [key["kid"] for key in signer.keys.jwks()["keys"]] == [new_kid, old_kid]
    assert (tmp_path / f"{DEV_KEY_FILE}.retired").stat().st_mode & 0o777 == 0o600


def test_only_the_two_latest_retired_keys_keep_verifying(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    tokens = AccessTokens(load_key_ring(settings), settings)
    issued = [tokens.issue(ANN)]
    for _ in range(3):
        rotate_key_file(tmp_path / DEV_KEY_FILE)
        issued.append(tokens.issue(ANN))

    assert len(tokens.keys.jwks()["keys"]) == 3
    assert [tokens.verify(token) for token in issued[1:]] == [ANN, ANN, ANN]
    with pytest.raises(InvalidToken, match="does not know"):
        tokens.verify(issued[0])


def test_a_fixed_public_key_refuses_tokens_of_a_key_it_does_not_hold(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    tokens = AccessTokens(load_key_ring(settings), settings)
    pinned = AccessTokens(KeyPair(tokens.keys.current.public_key), settings)
    assert pinned.verify(tokens.issue(ANN)) == ANN
    rotate_key_file(tmp_path / DEV_KEY_FILE)
    with pytest.raises(InvalidToken, match="does not know"):
        pinned.verify(tokens.issue(ANN))


@pytest.mark.parametrize("as_text", ["jwt_private_key", "jwt_public_key"])
def test_a_key_as_pem_text_beside_the_key_file_is_refused_at_start(
    tmp_path: Path, as_text: str
) -> None:
    key_file = tmp_path / "signing.pem"
    pair = load_key_ring(Settings(data_dir=tmp_path, jwt_private_key_file=key_file)).current
    assert pair.private_key is not None
    pem = {
        "jwt_private_key": pair.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        "jwt_public_key": pair.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode(),
    }[as_text]
    settings = Settings.model_validate(
        {"data_dir": tmp_path, "jwt_private_key_file": key_file, as_text: pem}
    )

    with pytest.raises(KeyConfigurationError) as refused:
        load_key_ring(settings)

    name = f"SHOPGRAPH_{as_text.upper()}"
    assert str(refused.value) == (
        f"{name} (PEM text) and SHOPGRAPH_JWT_PRIVATE_KEY_FILE are both set: a key given as "
        "text never rotates, so it would hide or be hidden by the file that `shopgraph keys "
        "rotate` replaces. Set only the file to rotate keys without restarts, or only the "
        "text (a rotation then restarts every process)."
    )
