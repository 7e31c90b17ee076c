"""Registration rules, enforced on input and by the database, and bad input in general."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from subgraphs.users.models import UserRow
from tests.graphql import post
from tests.subgraphs.users.conftest import REGISTER, UsersSubgraph


async def _user_count(users: UsersSubgraph) -> int:
    async with users.services.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(UserRow)) or 0)


@pytest.mark.parametrize(
    ("username", "email", "password", "codes"),
    [
        ("ab", "a@example.com", "long enough", ["USERNAME_INVALID"]),
        ("a" * 33, "a@example.com", "long enough", ["USERNAME_INVALID"]),
        ("has space", "a@example.com", "long enough", ["USERNAME_INVALID"]),
        ("émile", "a@example.com", "long enough", ["USERNAME_INVALID"]),
        ("ok_name", "not-an-email", "long enough", ["EMAIL_INVALID"]),
        ("ok_name", "a@b", "long enough", ["EMAIL_INVALID"]),
        ("ok_name", f"{'a' * 250}@example.com", "long enough", ["EMAIL_INVALID"]),
        ("ok_name", '"><script>@x.com', "long enough", ["EMAIL_INVALID"]),
        ("ok_name", "a@b..com", "long enough", ["EMAIL_INVALID"]),
        ("ok_name", ".a@b.com", "long enough", ["EMAIL_INVALID"]),
        ("ok_name", "a@example", "long enough", ["EMAIL_INVALID"]),
        ("ok_name", "a@example.com", "short", ["PASSWORD_INVALID"]),
        ("ok_name", "a@example.com", "x" * 1025, ["PASSWORD_INVALID"]),
        ("x", "y", "z", ["USERNAME_INVALID", "EMAIL_INVALID", "PASSWORD_INVALID"]),
    ],
)
async def test_invalid_registrations_say_why_and_write_nothing(
    users: UsersSubgraph, username: str, email: str, password: str, codes: list[str]
) -> None:
    payload = await users.register(username, email, password)
    assert [error["code"] for error in payload["errors"]] == codes
    assert all(error["field"][0] == "input" for error in payload["errors"])
    assert payload["user"] is None
    assert payload["accessToken"] is None
    assert await _user_count(users) == 0


async def test_the_edges_of_the_rules_are_accepted(users: UsersSubgraph) -> None:
    assert (await users.register("abc", password="x" * 8))["errors"] == []
    assert (await users.register("a" * 32, password="x" * 1024))["errors"] == []
    assert (await users.register("d.o-t_s"))["errors"] == []


async def test_username_and_email_are_unique_whatever_their_case(users: UsersSubgraph) -> None:
    await users.register("nina", "nina@example.com")
    same_name = await users.register("NINA", "other@example.com")
    same_email = await users.register("nina2", "NINA@EXAMPLE.COM")
    both = await users.register("Nina", "Nina@Example.com")
    assert [e["code"] for e in same_name["errors"]] == ["USERNAME_TAKEN"]
    assert [e["code"] for e in same_email["errors"]] == ["EMAIL_TAKEN"]
    assert [e["code"] for e in both["errors"]] == ["USERNAME_TAKEN", "EMAIL_TAKEN"]
    assert await _user_count(users) == 1


async def test_racing_registrations_of_one_name_have_one_winner(users: UsersSubgraph) -> None:
    payloads = await asyncio.gather(
        *(users.register("oscar", f"oscar{n}@example.com") for n in range(20))
    )
    winners = [p for p in payloads if not p["errors"]]
    losers = [p for p in payloads if p["errors"]]
    assert len(winners) == 1
    assert {e["code"] for p in losers for e in p["errors"]} == {"USERNAME_TAKEN"}
    assert await _user_count(users) == 1


async def test_malformed_json_is_a_400(users: UsersSubgraph) -> None:
    response = await users.client.post(
        "/graphql", content=b'{"query": "{ me { id } ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_wrong_variable_types_are_a_400_and_write_nothing(users: UsersSubgraph) -> None:
    response = await post(
        users.client, REGISTER, {"input": {"username": 42, "email": [], "password": None}}
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors
    assert all("$input" in error["message"] for error in errors)
    assert "data" not in response.json() or response.json()["data"] is None
    assert await _user_count(users) == 0


async def test_syntax_errors_and_unknown_fields_are_400s(users: UsersSubgraph) -> None:
    syntax = await post(users.client, "{ me { id ")
    unknown = await post(users.client, "{ me { shoeSize } }")
    assert (syntax.status_code, unknown.status_code) == (400, 400)
    assert "Syntax Error" in syntax.json()["errors"][0]["message"]
    assert "shoeSize" in unknown.json()["errors"][0]["message"]


async def test_a_ten_megabyte_body_is_refused_unread(users: UsersSubgraph) -> None:
    body = b'{"query": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    response = await users.client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_big_body_without_content_length_is_refused(users: UsersSubgraph) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * (100 * 1024)

    response = await users.client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_a_hundred_kilobyte_username_is_a_user_error(users: UsersSubgraph) -> None:
    payload = await users.register("u" * 100_000, "huge@example.com")
    assert [e["code"] for e in payload["errors"]] == ["USERNAME_INVALID"]
    assert await _user_count(users) == 0
