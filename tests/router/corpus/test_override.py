"""@override: the overriding subgraph serves the field; the overridden one is never asked for it."""

from __future__ import annotations

import pytest

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

# The users subgraph still holds the old values: answers carrying them show a wrong route.
USERS = SubgraphSpec(
    name="users",
    sdl=federation_sdl(
        """
        type Query { me: User banner: String }
        type User @key(fields: "id") { id: ID! name: String! email: String! }
        """
    ),
    data={
        "Query": {"me": {"id": "1"}, "banner": "old banner"},
        "User": [{"id": "1", "name": "Ann", "email": "old-ann@example.com"}],
    },
)
ACCOUNTS = SubgraphSpec(
    name="accounts",
    sdl=federation_sdl(
        """
        type Query { accountOfTheDay: User banner: String @override(from: "users") }
        type User @key(fields: "id") {
          id: ID!
          email: String! @override(from: "users")
          nickname: String! @override(from: "gone")
        }
        """
    ),
    data={
        "Query": {"accountOfTheDay": {"id": "1"}, "banner": "new banner"},
        "User": [{"id": "1", "email": "ann@example.com", "nickname": "annie"}],
    },
)
BOTH = [USERS, ACCOUNTS]

# Progressive override (Federation 2.7): a label routes a share of requests to the new owner.
PROGRESSIVE_USERS = SubgraphSpec(
    name="users",
    sdl=federation_sdl(USERS.sdl.split("\n", 1)[1], version="v2.7"),
    data=USERS.data,
)
PROGRESSIVE_ACCOUNTS = SubgraphSpec(
    name="accounts",
    sdl=federation_sdl(
        """
        type User @key(fields: "id") {
          id: ID!
          email: String! @override(from: "users", label: "percent(100)")
          name: String! @override(from: "users", label: "percent(0)")
        }
        """,
        version="v2.7",
    ),
    data={"User": [{"id": "1", "email": "ann@example.com", "name": "Ann (new)"}]},
)
PROGRESSIVE = [PROGRESSIVE_USERS, PROGRESSIVE_ACCOUNTS]

CASES = [
    RouterCase(
        id="override-field-served-by-the-overriding-subgraph",
        subgraphs=BOTH,
        query="{ me { email } }",
        expected_response={"data": {"me": {"email": "ann@example.com"}}},
        expected_fetches={"users": 1, "accounts": 1},
    ),
    RouterCase(
        id="override-other-fields-stay-with-their-owner",
        subgraphs=BOTH,
        query="{ me { name email } }",
        expected_response={"data": {"me": {"name": "Ann", "email": "ann@example.com"}}},
        expected_fetches={"users": 1, "accounts": 1},
    ),
    RouterCase(
        id="override-root-field",
        subgraphs=BOTH,
        query="{ banner }",
        expected_response={"data": {"banner": "new banner"}},
        expected_fetches={"accounts": 1},
    ),
    RouterCase(
        id="override-overridden-field-read-in-the-overriding-subgraph",
        subgraphs=BOTH,
        query="{ accountOfTheDay { id email } }",
        expected_response={"data": {"accountOfTheDay": {"id": "1", "email": "ann@example.com"}}},
        expected_fetches={"accounts": 1},
    ),
    RouterCase(
        id="override-with-a-jump-for-the-fields-left-behind",
        subgraphs=BOTH,
        query="{ accountOfTheDay { name email } }",
        expected_response={
            "data": {"accountOfTheDay": {"name": "Ann", "email": "ann@example.com"}}
        },
        expected_fetches={"accounts": 1, "users": 1},
    ),
    RouterCase(
        id="override-from-a-subgraph-not-in-the-supergraph",
        subgraphs=BOTH,
        query="{ me { nickname } }",
        expected_response={"data": {"me": {"nickname": "annie"}}},
        expected_fetches={"users": 1, "accounts": 1},
    ),
    RouterCase(
        id="override-progressive-label-at-100-percent",
        subgraphs=PROGRESSIVE,
        query="{ me { email } }",
        expected_response={"data": {"me": {"email": "ann@example.com"}}},
        expected_fetches={"users": 1, "accounts": 1},
    ),
    RouterCase(
        id="override-progressive-label-at-0-percent",
        subgraphs=PROGRESSIVE,
        query="{ me { name } }",
        expected_response={"data": {"me": {"name": "Ann"}}},
        expected_fetches={"users": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_override(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
