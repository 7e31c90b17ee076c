"""Register, sign in, refresh and sign out, over HTTP against the users subgraph."""

from __future__ import annotations

from subgraphs.platform.settings import Settings
from subgraphs.users.app import create_app
from tests.graphql import execute, serve
from tests.subgraphs.users.conftest import UsersSubgraph

ME = "{ me { id username email role } }"
REFRESH = """
mutation Refresh($token: String!) {
  refreshToken(refreshToken: $token) { user { id } accessToken refreshToken errors { code } }
}"""
LOGOUT = "mutation Logout($token: String!) { logout(refreshToken: $token) }"


async def test_register_then_login_then_me(users: UsersSubgraph) -> None:
    registered = await users.register("ann", "Ann@Example.com")
    assert registered["errors"] == []
    assert registered["user"]["username"] == "ann"
    assert registered["user"]["email"] == "Ann@Example.com"
    assert registered["user"]["role"] == "CUSTOMER"

    signed_in = await users.login("ann@example.com")  # emails match case-insensitively
    assert signed_in["errors"] == []
    assert signed_in["user"] == {
        "id": registered["user"]["id"],
        "username": "ann",
        "role": "CUSTOMER",
    }

    me = await execute(users.client, ME, token=signed_in["accessToken"])
    assert me == {
        "data": {
            "me": {
                "id": registered["user"]["id"],
                "username": "ann",
                "email": "Ann@Example.com",
                "role": "CUSTOMER",
            }
        }
    }


async def test_me_without_a_token_is_unauthenticated(users: UsersSubgraph) -> None:
    body = await execute(users.client, ME)
    assert body["data"] == {"me": None}
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]


async def test_wrong_password_and_unknown_email_look_the_same(users: UsersSubgraph) -> None:
    await users.register("bob")
    wrong_password = await users.login("bob@example.com", "not the password")
    unknown_email = await users.login("nobody@example.com")
    for payload in (wrong_password, unknown_email):
        assert payload["user"] is None
        assert payload["accessToken"] is None
        assert payload["refreshToken"] is None
        assert [error["code"] for error in payload["errors"]] == ["INVALID_CREDENTIALS"]


async def test_eleventh_failed_login_is_rate_limited_even_with_the_right_password(
    users: UsersSubgraph,
) -> None:
    await users.register("carol")
    for _ in range(10):
        failed = await users.login("carol@example.com", "wrong password")
        assert [error["code"] for error in failed["errors"]] == ["INVALID_CREDENTIALS"]

    limited = await users.login("CAROL@example.com")
    assert [error["code"] for error in limited["errors"]] == ["RATE_LIMITED"]
    assert limited["accessToken"] is None
    # Another account is not affected.
    await users.register("dave")
    assert (await users.login("dave@example.com"))["errors"] == []


async def test_a_successful_login_clears_earlier_failures(users: UsersSubgraph) -> None:
    await users.register("erin")
    for _ in range(9):
        await users.login("erin@example.com", "wrong password")
    assert (await users.login("erin@example.com"))["errors"] == []
    for _ in range(9):
        await users.login("erin@example.com", "wrong password")
    assert (await users.login("erin@example.com"))["errors"] == []


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(users: UsersSubgraph) -> None:
    first = (await users.register("fay"))["refreshToken"]

    rotated = (await execute(users.client, REFRESH, {"token": first}))["data"]["refreshToken"]
    assert rotated["errors"] == []
    second = rotated["refreshToken"]
    assert second not in (None, first)
    me = await execute(users.client, ME, token=rotated["accessToken"])
    assert me["data"]["me"]["username"] == "fay"

    reused = (await execute(users.client, REFRESH, {"token": first}))["data"]["refreshToken"]
    assert reused == {
        "user": None,
        "accessToken": None,
        "refreshToken": None,
        "errors": [{"code": "REFRESH_TOKEN_REUSED"}],
    }

    # The reuse revoked the descendant too: whoever held it must sign in again.
    after = (await execute(users.client, REFRESH, {"token": second}))["data"]["refreshToken"]
    assert after["errors"] == [{"code": "REFRESH_TOKEN_REUSED"}]


async def test_other_logins_survive_a_revoked_family(users: UsersSubgraph) -> None:
    await users.register("gus")
    phone = (await users.login("gus@example.com"))["refreshToken"]
    laptop = (await users.login("gus@example.com"))["refreshToken"]

    assert (await execute(users.client, LOGOUT, {"token": phone}))["data"] == {"logout": True}

    refused = (await execute(users.client, REFRESH, {"token": phone}))["data"]["refreshToken"]
    assert refused["errors"] == [{"code": "REFRESH_TOKEN_REUSED"}]
    still = (await execute(users.client, REFRESH, {"token": laptop}))["data"]["refreshToken"]
    assert still["errors"] == []


async def test_unknown_refresh_tokens_are_refused(users: UsersSubgraph) -> None:
    refused = (await execute(users.client, REFRESH, {"token": "made-up"}))["data"]["refreshToken"]
    assert refused["errors"] == [{"code": "INVALID_REFRESH_TOKEN"}]
    assert (await execute(users.client, LOGOUT, {"token": "made-up"}))["data"] == {"logout": False}


async def test_failed_logins_are_counted_in_redis_across_replicas(
    settings: Settings, redis_url: str
) -> None:
    """Two replicas of users share one Redis: failures on either count towards the limit."""
    shared = settings.model_copy(update={"redis_url": redis_url})
    first, second = create_app(shared), create_app(shared)
    async with serve(first) as one, serve(second) as two:
        replicas = [
            UsersSubgraph(one, first.state.services),
            UsersSubgraph(two, second.state.services),
        ]
        await replicas[0].register("vera")
        for attempt in range(10):
            failed = await replicas[attempt % 2].login("vera@example.com", "wrong password")
            assert [e["code"] for e in failed["errors"]] == ["INVALID_CREDENTIALS"]
        for replica in replicas:
            limited = await replica.login("vera@example.com")
            assert [e["code"] for e in limited["errors"]] == ["RATE_LIMITED"]
