"""Abuse limits of sign-in and registration: atomic attempts, per-address windows, hashing."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from subgraphs.platform.auth.passwords import HashingBusy, PasswordHasher
from subgraphs.platform.settings import Settings
from subgraphs.users.app import create_app
from subgraphs.users.settings import UsersSettings
from tests.graphql import execute, serve
from tests.subgraphs.users.conftest import UsersSubgraph


def _codes(payloads: list[dict[str, Any]]) -> Counter[str]:
    return Counter(error["code"] for payload in payloads for error in payload["errors"]) + Counter(
        "SIGNED_IN" for payload in payloads if payload["accessToken"]
    )


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def counting_settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Settings counting attempts in process memory, or in a flushed Redis database.

    A plain fixture, so it can set up the async `redis_url` fixture on demand.
    """
    if request.param == "redis":
        return settings.model_copy(update={"redis_url": request.getfixturevalue("redis_url")})
    return settings


@pytest.fixture
async def shared_users(counting_settings: Settings) -> AsyncIterator[UsersSubgraph]:
    app = create_app(counting_settings)
    async with serve(app, "http://users") as client:
        yield UsersSubgraph(client, app.state.services)


async def test_thirty_parallel_attempts_check_at_most_ten_passwords(
    shared_users: UsersSubgraph,
) -> None:
    users = shared_users
    await users.register("racer")
    attempts = [users.login("racer@example.com", f"wrong {n}") for n in range(29)]
    attempts.append(users.login("racer@example.com"))

    payloads = await asyncio.gather(*attempts)

    # Only ten attempts reach the password check. Which ten depends on the order the
    # counter (Redis) saw them in: the right one signs in only if it was among them.
    codes = _codes(payloads)
    assert codes["RATE_LIMITED"] == 20
    assert codes["INVALID_CREDENTIALS"] + codes["SIGNED_IN"] == 10
    assert codes["SIGNED_IN"] <= 1


async def test_failures_from_one_address_across_many_emails_are_limited(
    shared_users: UsersSubgraph,
) -> None:
    users = shared_users
    sprayed = [await users.login(f"victim{n}@example.com", "Summer2026!") for n in range(40)]

    assert [_codes([p]) for p in sprayed] == [Counter({"INVALID_CREDENTIALS": 1})] * 20 + [
        Counter({"RATE_LIMITED": 1})
    ] * 20


async def test_successful_sign_ins_do_not_use_up_the_address_limit(
    users: UsersSubgraph,
) -> None:
    await users.register("regular")
    for _ in range(25):
        assert (await users.login("regular@example.com"))["errors"] == []
    assert _codes([await users.login("nobody@example.com")]) == Counter({"INVALID_CREDENTIALS": 1})


async def test_registrations_from_one_address_are_limited(settings: Settings) -> None:
    app = create_app(settings, users=UsersSettings(register_ip_max=3))
    async with serve(app, "http://users") as client:
        users = UsersSubgraph(client, app.state.services)
        payloads = [await users.register(f"new{n}") for n in range(5)]

    assert [_codes([p]) for p in payloads] == [Counter({"SIGNED_IN": 1})] * 3 + [
        Counter({"RATE_LIMITED": 1})
    ] * 2


async def test_a_password_over_4096_bytes_is_refused_as_input(users: UsersSubgraph) -> None:
    await users.register("longpass")
    payload = await users.login("longpass@example.com", "é" * 2049)
    assert payload["errors"] == [
        {
            "field": ["input", "password"],
            "message": "a password has at most 4096 bytes",
            "code": "PASSWORD_INVALID",
        }
    ]


async def test_hashes_beyond_the_slots_and_queue_are_refused_at_once() -> None:
    hasher = PasswordHasher(time_cost=1, memory_kib=1024, slots=1, queue=1)
    stored = await hasher.hash("a password")

    outcomes = await asyncio.gather(
        *(hasher.verify("a password", stored) for _ in range(5)), return_exceptions=True
    )

    assert [type(o).__name__ for o in outcomes] == ["tuple", "tuple"] + ["HashingBusy"] * 3
    # The slots are free again once the admitted ones finished.
    assert await hasher.verify("a password", stored) == (True, None)
    assert issubclass(HashingBusy, Exception)


async def test_unknown_emails_go_through_the_same_hashing_slots() -> None:
    hasher = PasswordHasher(time_cost=1, memory_kib=1024, slots=1, queue=0)
    outcomes = await asyncio.gather(
        hasher.verify("a password", None),
        hasher.verify("a password", None),
        return_exceptions=True,
    )
    assert [type(o).__name__ for o in outcomes] == ["tuple", "HashingBusy"]


async def test_each_aliased_login_in_one_request_counts_as_an_attempt(
    users: UsersSubgraph,
) -> None:
    await users.register("aliased")
    five = " ".join(
        f'l{n}: login(input: {{email: "aliased@example.com", password: "wrong {n}"}})'
        " { errors { code } }"
        for n in range(5)
    )
    for _ in range(2):
        body = await execute(users.client, f"mutation {{ {five} }}")
        assert {e["code"] for p in body["data"].values() for e in p["errors"]} == {
            "INVALID_CREDENTIALS"
        }

    # Ten attempts were taken by two requests: the right password is now refused.
    assert _codes([await users.login("aliased@example.com")]) == Counter({"RATE_LIMITED": 1})
