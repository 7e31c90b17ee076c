"""@provides: a provided field is read where provided, and fetched from its owner elsewhere."""

from __future__ import annotations

import pytest

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

USERS = SubgraphSpec(
    name="users",
    sdl=federation_sdl(
        """
        type Query { me: User }
        type User @key(fields: "id") {
          id: ID! name: String! username: String! email: String! address: Address!
        }
        type Address @shareable { city: String! country: String! }
        """
    ),
    data={
        "Query": {"me": {"id": "1"}},
        "User": [
            {
                "id": "1",
                "name": "Ann",
                "username": "ann",
                "email": "ann@example.com",
                "address": {"city": "Oslo", "country": "NO"},
            },
            {
                "id": "2",
                "name": "Bob",
                "username": "bob",
                "email": "bob@example.com",
                "address": {"city": "Bergen", "country": "NO"},
            },
        ],
    },
)
REVIEWS = SubgraphSpec(
    name="reviews",
    sdl=federation_sdl(
        """
        type Query {
          topReviews: [Review!]!
          reviewers: [User!]!
          featuredAuthor: User @provides(fields: "username email address { city }")
        }
        type Review {
          body: String!
          author: User! @provides(fields: "username")
          editor: User
        }
        type User @key(fields: "id") {
          id: ID!
          username: String! @external
          email: String! @external
          address: Address! @external
        }
        type Address @shareable { city: String! }
        """
    ),
    data={
        "Query": {
            "topReviews": [
                {"body": "Solid", "author": {"id": "1", "username": "ann"}, "editor": {"id": "2"}},
                {"body": "Wobbly", "author": {"id": "2", "username": "bob"}, "editor": None},
                {"body": "Bright", "author": {"id": "1", "username": "ann"}, "editor": {"id": "2"}},
            ],
            "reviewers": [{"id": "1"}, {"id": "2"}],
            "featuredAuthor": {
                "id": "2",
                "username": "bob",
                "email": "bob@example.com",
                "address": {"city": "Bergen"},
            },
        }
    },
)
BOTH = [USERS, REVIEWS]

CASES = [
    RouterCase(
        id="provides-provided-field-needs-no-fetch",
        subgraphs=BOTH,
        query="{ topReviews { body author { username } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"body": "Solid", "author": {"username": "ann"}},
                    {"body": "Wobbly", "author": {"username": "bob"}},
                    {"body": "Bright", "author": {"username": "ann"}},
                ]
            }
        },
        expected_fetches={"reviews": 1},
    ),
    RouterCase(
        id="provides-unprovided-field-still-fetched",
        subgraphs=BOTH,
        query="{ topReviews { author { username name } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"author": {"username": "ann", "name": "Ann"}},
                    {"author": {"username": "bob", "name": "Bob"}},
                    {"author": {"username": "ann", "name": "Ann"}},
                ]
            }
        },
        expected_fetches={"reviews": 1, "users": 1},
        expected_representations={"users": 2},
    ),
    RouterCase(
        id="provides-other-field-of-the-type-is-not-provided",
        subgraphs=BOTH,
        query="{ topReviews { editor { username } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"editor": {"username": "bob"}},
                    {"editor": None},
                    {"editor": {"username": "bob"}},
                ]
            }
        },
        expected_fetches={"reviews": 1, "users": 1},
        expected_representations={"users": 1},
    ),
    RouterCase(
        id="provides-root-field-without-provides",
        subgraphs=BOTH,
        query="{ reviewers { id username } }",
        expected_response={
            "data": {"reviewers": [{"id": "1", "username": "ann"}, {"id": "2", "username": "bob"}]}
        },
        expected_fetches={"reviews": 1, "users": 1},
    ),
    RouterCase(
        id="provides-several-fields-and-a-nested-one",
        subgraphs=BOTH,
        query="{ featuredAuthor { __typename id username email address { city } } }",
        expected_response={
            "data": {
                "featuredAuthor": {
                    "__typename": "User",
                    "id": "2",
                    "username": "bob",
                    "email": "bob@example.com",
                    "address": {"city": "Bergen"},
                }
            }
        },
        expected_fetches={"reviews": 1},
    ),
    RouterCase(
        id="provides-nested-field-not-provided",
        subgraphs=BOTH,
        query="{ featuredAuthor { username address { country } } }",
        expected_response={
            "data": {"featuredAuthor": {"username": "bob", "address": {"country": "NO"}}}
        },
        expected_fetches={"reviews": 1, "users": 1},
    ),
    RouterCase(
        id="provides-provided-and-unprovided-paths-in-one-query",
        subgraphs=BOTH,
        query="{ topReviews { author { username } editor { username } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"author": {"username": "ann"}, "editor": {"username": "bob"}},
                    {"author": {"username": "bob"}, "editor": None},
                    {"author": {"username": "ann"}, "editor": {"username": "bob"}},
                ]
            }
        },
        expected_fetches={"reviews": 1, "users": 1},
        expected_representations={"users": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_provides(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
