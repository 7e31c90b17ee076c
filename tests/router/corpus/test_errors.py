"""Errors: subgraph errors re-pathed with extensions.serviceName, unreachable subgraphs,
null propagation through non-null fields exactly as the GraphQL specification says.

A subgraph's errors keep their message and extensions and gain `serviceName`;
their `_entities` paths become the client's paths (aliases included). A fetch
that fails as a whole (nothing listens) gives one error naming the service,
whatever its wording, and nulls exactly what the missing data makes null.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
from graphql import GraphQLError

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case


def email(user: Mapping[str, Any], _args: Mapping[str, Any]) -> Any:
    if user["id"] == "2":
        raise GraphQLError("email is private", extensions={"code": "FORBIDDEN"})
    return user.get("email")


def name(user: Mapping[str, Any], _args: Mapping[str, Any]) -> Any:
    if user["id"] == "3":
        raise GraphQLError("name unavailable", extensions={"code": "UNAVAILABLE"})
    return user["name"]


def broken(_root: Mapping[str, Any], _args: Mapping[str, Any]) -> Any:
    raise GraphQLError("it broke", extensions={"code": "BROKEN", "retry": False})


# Bob's email is private and Cy's name fails: one nullable, one non-null field error.
USERS = SubgraphSpec(
    name="users",
    sdl=federation_sdl(
        """
        type Query { me: User }
        type User @key(fields: "id") { id: ID! name: String! email: String }
        """
    ),
    data={
        "Query": {"me": {"id": "1"}},
        "User": [
            {"id": "1", "name": "Ann", "email": "ann@example.com"},
            {"id": "2", "name": "Bob", "email": "bob@example.com"},
            {"id": "3", "name": "Cy", "email": "cy@example.com"},
        ],
    },
    resolvers={"User.email": email, "User.name": name},
)
REVIEW_ROWS = [
    {"body": "Solid", "author": {"id": "1"}, "strictAuthor": {"id": "1"}},
    {"body": "Wobbly", "author": {"id": "2"}, "strictAuthor": {"id": "2"}},
    {"body": "Meh", "author": {"id": "3"}, "strictAuthor": {"id": "3"}},
]
REVIEWS = SubgraphSpec(
    name="reviews",
    sdl=federation_sdl(
        """
        type Query {
          topReviews: [Review!]!
          looseReviews: [Review]!
          latestReviews: [Review!]
          broken: String
          brokenStrict: String!
        }
        type Review { body: String! author: User strictAuthor: User! }
        type User @key(fields: "id") { id: ID! }
        """
    ),
    data={
        "Query": {
            "topReviews": REVIEW_ROWS,
            "looseReviews": REVIEW_ROWS,
            "latestReviews": REVIEW_ROWS[:1],
        }
    },
    resolvers={"Query.broken": broken, "Query.brokenStrict": broken},
)
BOTH = [USERS, REVIEWS]
USERS_DOWN = [replace(USERS, down=True), REVIEWS]
REVIEWS_DOWN = [USERS, replace(REVIEWS, down=True)]

BROKEN = {"message": "it broke", "extensions": {"code": "BROKEN", "serviceName": "reviews"}}
PRIVATE = {
    "message": "email is private",
    "extensions": {"code": "FORBIDDEN", "serviceName": "users"},
}
UNAVAILABLE = {
    "message": "name unavailable",
    "extensions": {"code": "UNAVAILABLE", "serviceName": "users"},
}

CASES = [
    RouterCase(
        id="error-root-field-error-with-service-name",
        subgraphs=BOTH,
        query="{ me { name } broken }",
        expected_response={
            "data": {"me": {"name": "Ann"}, "broken": None},
            "errors": [{**BROKEN, "path": ["broken"]}],
        },
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="error-extensions-of-the-subgraph-kept",
        subgraphs=BOTH,
        query="{ broken }",
        expected_response={
            "data": {"broken": None},
            "errors": [
                {
                    "message": "it broke",
                    "path": ["broken"],
                    "extensions": {"code": "BROKEN", "retry": False, "serviceName": "reviews"},
                }
            ],
        },
        expected_fetches={"reviews": 1},
    ),
    RouterCase(
        id="error-in-an-entity-fetch-re-pathed-to-the-client-path",
        subgraphs=BOTH,
        query="{ topReviews { body author { email } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"body": "Solid", "author": {"email": "ann@example.com"}},
                    {"body": "Wobbly", "author": {"email": None}},
                    {"body": "Meh", "author": {"email": "cy@example.com"}},
                ]
            },
            "errors": [{**PRIVATE, "path": ["topReviews", 1, "author", "email"]}],
        },
        expected_fetches={"reviews": 1, "users": 1},
    ),
    RouterCase(
        id="error-path-uses-the-client-aliases",
        subgraphs=BOTH,
        query="{ reviews: topReviews { by: author { handle: name } } }",
        expected_response={
            "data": {
                "reviews": [
                    {"by": {"handle": "Ann"}},
                    {"by": {"handle": "Bob"}},
                    {"by": None},
                ]
            },
            "errors": [{**UNAVAILABLE, "path": ["reviews", 2, "by", "handle"]}],
        },
        expected_fetches={"reviews": 1, "users": 1},
    ),
    RouterCase(
        id="error-non-null-field-nulls-its-nullable-parent",
        subgraphs=BOTH,
        query="{ topReviews { body author { name } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"body": "Solid", "author": {"name": "Ann"}},
                    {"body": "Wobbly", "author": {"name": "Bob"}},
                    {"body": "Meh", "author": None},
                ]
            },
            "errors": [{**UNAVAILABLE, "path": ["topReviews", 2, "author", "name"]}],
        },
        expected_fetches={"reviews": 1, "users": 1},
    ),
    RouterCase(
        id="error-null-bubbles-through-non-null-parent-to-a-nullable-list-item",
        subgraphs=BOTH,
        query="{ looseReviews { body strictAuthor { name } } }",
        expected_response={
            "data": {
                "looseReviews": [
                    {"body": "Solid", "strictAuthor": {"name": "Ann"}},
                    {"body": "Wobbly", "strictAuthor": {"name": "Bob"}},
                    None,
                ]
            },
            "errors": [{**UNAVAILABLE, "path": ["looseReviews", 2, "strictAuthor", "name"]}],
        },
        expected_fetches={"reviews": 1, "users": 1},
    ),
    RouterCase(
        id="error-null-bubbles-all-the-way-to-data",
        subgraphs=BOTH,
        query="{ me { name } topReviews { strictAuthor { name } } }",
        expected_response={
            "data": None,
            "errors": [{**UNAVAILABLE, "path": ["topReviews", 2, "strictAuthor", "name"]}],
        },
        expected_fetches={"users": 2, "reviews": 1},
    ),
    RouterCase(
        id="error-non-null-root-field-of-a-subgraph-nulls-data",
        subgraphs=BOTH,
        query="{ me { name } brokenStrict }",
        expected_response={"data": None, "errors": [{**BROKEN, "path": ["brokenStrict"]}]},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="error-several-errors-from-one-fetch",
        subgraphs=BOTH,
        query="{ topReviews { author { name email } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"author": {"name": "Ann", "email": "ann@example.com"}},
                    {"author": {"name": "Bob", "email": None}},
                    {"author": None},
                ]
            },
            "errors": [
                {**PRIVATE, "path": ["topReviews", 1, "author", "email"]},
                {**UNAVAILABLE, "path": ["topReviews", 2, "author", "name"]},
            ],
        },
        expected_fetches={"reviews": 1, "users": 1},
    ),
    RouterCase(
        id="error-unreachable-subgraph-root-field-partial-data",
        subgraphs=REVIEWS_DOWN,
        query="{ me { name } latestReviews { body } }",
        expected_response={
            "data": {"me": {"name": "Ann"}, "latestReviews": None},
            "errors": [{"extensions": {"serviceName": "reviews"}}],
        },
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="error-unreachable-subgraph-non-null-root-field-nulls-data",
        subgraphs=REVIEWS_DOWN,
        query="{ me { name } topReviews { body } }",
        expected_response={"data": None, "errors": [{"extensions": {"serviceName": "reviews"}}]},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="error-unreachable-subgraph-in-an-entity-fetch",
        subgraphs=USERS_DOWN,
        query="{ topReviews { body author { name } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"body": "Solid", "author": None},
                    {"body": "Wobbly", "author": None},
                    {"body": "Meh", "author": None},
                ]
            },
            "errors": [{"extensions": {"serviceName": "users"}}],
        },
        expected_fetches={"reviews": 1},
    ),
    RouterCase(
        id="error-unreachable-subgraph-keeps-what-others-gave",
        subgraphs=USERS_DOWN,
        query="{ latestReviews { body author { id email } } }",
        expected_response={
            "data": {"latestReviews": [{"body": "Solid", "author": {"id": "1", "email": None}}]},
            "errors": [{"extensions": {"serviceName": "users"}}],
        },
        expected_fetches={"reviews": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_errors(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
