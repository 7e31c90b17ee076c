"""Who may see what: access tokens and the visibility of email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.keys import KeyPair
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.users.accounts import create_account
from tests.graphql import execute, post
from tests.subgraphs.users.conftest import UsersSubgraph

ME = "{ me { username } }"
USER = "query User($id: ID!) { user(id: $id) { id username email } }"
PUBLIC_USER = "query User($id: ID!) { user(id: $id) { id username role } }"
PUBLIC = "query User($id: ID!) { user(id: $id) { id username } }"
ROLE = "query User($id: ID!) { user(id: $id) { username role } }"


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = "A" if signature[5] != "A" else "B"
    return ".".join([header, payload, signature[:5] + flipped + signature[6:]])


async def _assert_refused(users: UsersSubgraph, token: str) -> None:
    response = await post(users.client, ME, token=token)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json() == {
        "errors": [
            {
                "message": "the access token is invalid or expired",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }


async def test_a_tampered_token_is_refused(users: UsersSubgraph) -> None:
    token = (await users.register("hal"))["accessToken"]
    await _assert_refused(users, _tamper(token))


async def test_an_expired_token_is_refused(users: UsersSubgraph) -> None:
    registered = await users.register("ida")
    tokens = users.services.tokens
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    expired = tokens.issue(Principal(registered["user"]["id"], Role.CUSTOMER), now=an_hour_ago)
    await _assert_refused(users, expired)


async def test_a_token_signed_by_another_key_is_refused(users: UsersSubgraph) -> None:
    registered = await users.register("jan")
    stranger = Ed25519PrivateKey.generate()
    forged = AccessTokens(KeyPair(stranger.public_key(), stranger), users.services.settings).issue(
        Principal(registered["user"]["id"], Role.STAFF)
    )
    await _assert_refused(users, forged)


async def test_a_malformed_authorization_header_is_refused(users: UsersSubgraph) -> None:
    response = await users.client.post(
        "/graphql", json={"query": ME}, headers={"authorization": "Basic dXNlcjpwYXNz"}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    await _assert_refused(users, "not-a-jwt")


async def test_email_is_for_the_user_and_for_staff_only(users: UsersSubgraph) -> None:
    kim = await users.register("kim")
    lou = await users.register("lou")
    await create_account(users.services, "boss", "boss@example.com", "staff password", Role.STAFF)
    staff_token = (await users.login("boss@example.com", "staff password"))["accessToken"]
    kim_id = kim["user"]["id"]

    own = await execute(users.client, USER, {"id": kim_id}, token=kim["accessToken"])
    assert own == {"data": {"user": {"id": kim_id, "username": "kim", "email": "kim@example.com"}}}

    by_staff = await execute(users.client, USER, {"id": kim_id}, token=staff_token)
    assert by_staff == own

    by_other = await execute(users.client, USER, {"id": kim_id}, token=lou["accessToken"])
    assert by_other["data"] == {"user": None}  # email is non-null, so its error nulls the user
    assert [(e["path"], e["extensions"]["code"]) for e in by_other["errors"]] == [
        (["user", "email"], "FORBIDDEN")
    ]

    anonymous = await execute(users.client, USER, {"id": kim_id})
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]

    public = await execute(users.client, PUBLIC, {"id": kim_id}, token=lou["accessToken"])
    assert public == {"data": {"user": {"id": kim_id, "username": "kim"}}}


async def test_role_is_for_the_user_and_for_staff_only(users: UsersSubgraph) -> None:
    kim = await users.register("kim")
    lou = await users.register("lou")
    boss = await create_account(
        users.services, "boss", "boss@example.com", "staff password", Role.STAFF
    )
    staff_token = (await users.login("boss@example.com", "staff password"))["accessToken"]

    own = await execute(users.client, ROLE, {"id": kim["user"]["id"]}, token=kim["accessToken"])
    assert own == {"data": {"user": {"username": "kim", "role": "CUSTOMER"}}}
    by_staff = await execute(users.client, ROLE, {"id": kim["user"]["id"]}, token=staff_token)
    assert by_staff == own

    # Nobody else can tell a staff account from a customer's.
    for token in (lou["accessToken"], None):
        hidden = await execute(users.client, ROLE, {"id": boss.id}, token=token)
        assert hidden["data"] == {"user": None}
        assert [(e["path"], e["extensions"]["code"]) for e in hidden["errors"]] == [
            (["user", "role"], "FORBIDDEN" if token else "UNAUTHENTICATED")
        ]


async def test_unknown_user_is_null(users: UsersSubgraph) -> None:
    body = await execute(users.client, PUBLIC_USER, {"id": "00000000-0000-0000-0000-000000000000"})
    assert body == {"data": {"user": None}}


async def test_jwks_publishes_the_key_that_signs_tokens(users: UsersSubgraph) -> None:
    token = (await users.register("max"))["accessToken"]
    response = await users.client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    [key] = response.json()["keys"]
    assert key["kty"] == "OKP"
    assert key["crv"] == "Ed25519"
    assert key["alg"] == "EdDSA"

    import jwt

    public_key = jwt.PyJWK(key).key
    claims = jwt.decode(token, public_key, algorithms=["EdDSA"], audience="shopgraph")
    assert claims["role"] == "CUSTOMER"
    assert jwt.get_unverified_header(token)["kid"] == key["kid"]
    assert isinstance(
        public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw), bytes
    )
