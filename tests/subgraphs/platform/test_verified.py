"""A token verified once is taken again without verifying, only while a full check would pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.keyring import load_key_ring, rotate_key_file
from subgraphs.platform.auth.keys import DEV_KEY_FILE
from subgraphs.platform.auth.tokens import AccessTokens, InvalidToken
from subgraphs.platform.auth.verified import VerifiedTokens
from subgraphs.platform.settings import Settings

ANN = Principal("u1", Role.CUSTOMER)
BOB = Principal("u2", Role.STAFF)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def tokens(tmp_path: Path) -> AccessTokens:
    settings = Settings(data_dir=tmp_path)
    return AccessTokens(load_key_ring(settings), settings)


@pytest.fixture
def verifications(tokens: AccessTokens, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens `tokens` verified in full."""
    done: list[str] = []
    original = tokens.verify_until

    def verify_until(token: str) -> tuple[Principal, datetime]:
        done.append(token)
        return original(token)

    monkeypatch.setattr(tokens, "verify_until", verify_until)
    return done


def test_a_token_sent_again_is_not_verified_again(
    tokens: AccessTokens, verifications: list[str]
) -> None:
    verified = VerifiedTokens()
    ann, bob = tokens.issue(ANN), tokens.issue(BOB)

    answers = [verified.verify_until(tokens, token) for token in (ann, bob, ann, ann, bob)]

    assert [principal for principal, _ in answers] == [ANN, BOB, ANN, ANN, BOB]
    assert answers[0] == answers[2] == (ANN, tokens.verify_until(ann)[1])
    assert verifications == [ann, bob, ann]  # the last: the line above


def test_an_expired_token_is_verified_in_full_and_refused(
    tokens: AccessTokens, verifications: list[str]
) -> None:
    clock = Clock()
    verified = VerifiedTokens(clock=clock)
    ann = tokens.issue(ANN)
    _, expires_at = verified.verify_until(tokens, ann)

    clock.now = expires_at - timedelta(microseconds=1)
    verified.verify_until(tokens, ann)
    clock.now = expires_at  # expired from this instant, as a JWT's exp is
    verified.verify_until(tokens, ann)  # the real clock: still valid, so verified again
    past = tokens.issue(ANN, now=datetime.now(UTC) - timedelta(hours=1))
    for _ in range(2):
        with pytest.raises(InvalidToken, match="expired"):
            verified.verify_until(tokens, past)

    assert verifications == [ann, ann, past, past]


def test_a_bad_token_is_refused_every_time(tokens: AccessTokens, verifications: list[str]) -> None:
    verified = VerifiedTokens()
    forged = tokens.issue(ANN)[:-4] + "AAAA"

    for token in (forged, forged, "not.a.jwt", "not.a.jwt"):
        with pytest.raises(InvalidToken):
            verified.verify_until(tokens, token)

    assert verifications == [forged, forged, "not.a.jwt", "not.a.jwt"]


def test_a_rotation_makes_tokens_verify_in_full_and_dropping_a_key_refuses_its_tokens(
    tmp_path: Path, tokens: AccessTokens, verifications: list[str]
) -> None:
    verified = VerifiedTokens()
    ann = tokens.issue(ANN)
    verified.verify_until(tokens, ann)

    rotate_key_file(tmp_path / DEV_KEY_FILE)
    assert verified.verify_until(tokens, ann)[0] == ANN  # a retired key still verifies
    assert verified.verify_until(tokens, ann)[0] == ANN
    for _ in range(2):  # the third rotation drops the key that signed `ann`
        rotate_key_file(tmp_path / DEV_KEY_FILE)
    with pytest.raises(InvalidToken, match="does not know"):
        verified.verify_until(tokens, ann)

    assert verifications == [ann, ann, ann]


def test_only_the_latest_tokens_are_remembered(
    tokens: AccessTokens, verifications: list[str]
) -> None:
    verified = VerifiedTokens(size=2)
    ann, bob, cat = (tokens.issue(Principal(name, Role.CUSTOMER)) for name in "abc")

    for token in (ann, bob, ann, cat, ann, bob):
        verified.verify_until(tokens, token)

    assert verifications == [ann, bob, cat, bob]  # bob was the least recent when cat came
