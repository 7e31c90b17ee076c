"""Every fetch is valid in its own subgraph: one response name with two types, foreign types.

In accounts, `User.id` is `ID!` and `Admin.id` is `ID`: when the planner
selects `id` per object type, one of them travels under a private alias and
is renamed back when merging. A shareable field that is a union in the
supergraph but an object type in one subgraph gets no type conditions that
cannot apply there.
"""

from __future__ import annotations

import pytest

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

ACCOUNTS = SubgraphSpec(
    name="accounts",
    sdl=federation_sdl(
        """
        type Query { accounts: [Account!]! }
        interface Account { id: ID name: String! }
        type User implements Account @key(fields: "id") { id: ID! name: String! }
        type Admin implements Account { id: ID name: String! level: Int! }
        type Shop @key(fields: "id") { id: ID! owner: Account! }
        """
    ),
    data={
        "Shop": [
            {"id": "s1", "owner": {"__typename": "User", "id": "u1", "name": "Ann"}},
            {"id": "s2", "owner": {"__typename": "Admin", "id": None, "name": "Root", "level": 9}},
        ],
        "Query": {
            "accounts": [
                {"__typename": "User", "id": "u1", "name": "Ann"},
                {"__typename": "Admin", "id": None, "name": "Root", "level": 9},
                {"__typename": "User", "id": "u2", "name": "Bob"},
            ]
        },
        "User": [{"id": "u1", "name": "Ann"}, {"id": "u2", "name": "Bob"}],
    },
)
PROFILES = SubgraphSpec(
    name="profiles",
    sdl=federation_sdl(
        """
        type User @key(fields: "id") { id: ID! bio: String! }
        """
    ),
    data={"User": [{"id": "u1", "bio": "Builds tables"}, {"id": "u2", "bio": "Sits"}]},
)
LIBRARY = SubgraphSpec(
    name="library",
    sdl=federation_sdl(
        """
        type Query { pick: Media @shareable shelf: [Media!]! }
        union Media = Book | Movie
        type Book @shareable { title: String! pages: Int! }
        type Movie { title: String! minutes: Int! }
        """
    ),
    data={
        "Query": {
            "pick": {"__typename": "Book", "title": "Dune", "pages": 412},
            "shelf": [
                {"__typename": "Book", "title": "Dune", "pages": 412},
                {"__typename": "Movie", "title": "Alien", "minutes": 117},
            ],
        }
    },
)
BOOKSHOP = SubgraphSpec(
    name="bookshop",
    sdl=federation_sdl(
        """
        type Query { pick: Book @shareable }
        type Book @shareable { title: String! pages: Int! }
        """
    ),
    data={"Query": {"pick": {"title": "Dune", "pages": 412}}},
)
AUDIT = SubgraphSpec(
    name="audit",
    sdl=federation_sdl(
        """
        type Query { recent: [Account!]! }
        interface Account { id: ID }
        type User implements Account @key(fields: "id") { id: ID! }
        """
    ),
    data={"Query": {"recent": [{"__typename": "User", "id": "u2"}]}},
)
SHOPS = SubgraphSpec(
    name="shops",
    sdl=federation_sdl(
        """
        type Query { shops: [Shop!]! }
        type Shop @key(fields: "id") { id: ID! city: String! }
        """
    ),
    data={"Query": {"shops": [{"id": "s1", "city": "Oslo"}, {"id": "s2", "city": "Bergen"}]}},
)
ALL = [ACCOUNTS, PROFILES, LIBRARY, BOOKSHOP, AUDIT, SHOPS]

CASES = [
    RouterCase(
        id="valid-fetch-one-name-two-types-aliased-and-renamed-back",
        subgraphs=ALL,
        query="{ accounts { id name ... on User { bio } } }",
        expected_response={
            "data": {
                "accounts": [
                    {"id": "u1", "name": "Ann", "bio": "Builds tables"},
                    {"id": None, "name": "Root"},
                    {"id": "u2", "name": "Bob", "bio": "Sits"},
                ]
            }
        },
        expected_fetches={"accounts": 1, "profiles": 1},
    ),
    RouterCase(
        id="valid-fetch-one-name-two-types-with-a-client-alias",
        subgraphs=ALL,
        query="{ accounts { key: id ... on User { bio } ... on Admin { level } } }",
        expected_response={
            "data": {
                "accounts": [
                    {"key": "u1", "bio": "Builds tables"},
                    {"key": None, "level": 9},
                    {"key": "u2", "bio": "Sits"},
                ]
            }
        },
        expected_fetches={"accounts": 1, "profiles": 1},
    ),
    RouterCase(
        id="valid-fetch-one-name-two-types-inside-an-entity-fetch",
        subgraphs=ALL,
        query="{ shops { city owner { id ... on User { bio } } } }",
        expected_response={
            "data": {
                "shops": [
                    {"city": "Oslo", "owner": {"id": "u1", "bio": "Builds tables"}},
                    {"city": "Bergen", "owner": {"id": None}},
                ]
            }
        },
        expected_fetches={"shops": 1, "accounts": 1, "profiles": 1},
    ),
    RouterCase(
        id="valid-fetch-type-condition-of-another-subgraph-dropped",
        subgraphs=ALL,
        query="{ recent { id ... on Admin { level } ... on User { name bio } } }",
        expected_response={"data": {"recent": [{"id": "u2", "name": "Bob", "bio": "Sits"}]}},
        expected_fetches={"audit": 1, "accounts": 1, "profiles": 1},
    ),
    RouterCase(
        id="valid-fetch-union-field-that-is-an-object-in-the-subgraph",
        subgraphs=[LIBRARY, BOOKSHOP],
        query="{ pick { __typename ... on Book { title pages } } }",
        expected_response={"data": {"pick": {"__typename": "Book", "title": "Dune", "pages": 412}}},
        expected_fetches={"bookshop": 1},
    ),
    RouterCase(
        id="valid-fetch-union-members-of-one-subgraph-only",
        subgraphs=[LIBRARY, BOOKSHOP],
        query="{ shelf { __typename ... on Movie { title minutes } ... on Book { title } } }",
        expected_response={
            "data": {
                "shelf": [
                    {"__typename": "Book", "title": "Dune"},
                    {"__typename": "Movie", "title": "Alien", "minutes": 117},
                ]
            }
        },
        expected_fetches={"library": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_fetch_validity(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
