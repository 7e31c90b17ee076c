"""@interfaceObject: fields added to every implementation of an entity interface.

A subgraph with `type Media @interfaceObject` knows neither the implementations
nor the concrete `__typename`; the router asks the interface's owner for those.
"""

from __future__ import annotations

import pytest

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

MEDIA = SubgraphSpec(
    name="media",
    sdl=federation_sdl(
        """
        type Query { media: [Media!]! }
        interface Media @key(fields: "id") { id: ID! title: String! }
        type Book implements Media @key(fields: "id") { id: ID! title: String! author: String! }
        type Movie implements Media @key(fields: "id") { id: ID! title: String! director: String! }
        """
    ),
    data={
        "Query": {
            "media": [
                {"__typename": "Book", "id": "b1"},
                {"__typename": "Movie", "id": "m1"},
                {"__typename": "Book", "id": "b2"},
            ]
        },
        "Book": [
            {"id": "b1", "title": "Dune", "author": "Herbert"},
            {"id": "b2", "title": "Emma", "author": "Austen"},
        ],
        "Movie": [{"id": "m1", "title": "Alien", "director": "Scott"}],
    },
)
RATINGS = SubgraphSpec(
    name="ratings",
    sdl=federation_sdl(
        """
        type Query { topRated: [Media!]! }
        type Media @key(fields: "id") @interfaceObject { id: ID! stars: Int! }
        """
    ),
    data={
        "Query": {"topRated": [{"id": "m1"}, {"id": "b1"}]},
        "Media": [{"id": "b1", "stars": 4}, {"id": "m1", "stars": 5}, {"id": "b2", "stars": 3}],
    },
)
USERS = SubgraphSpec(
    name="users",
    sdl=federation_sdl(
        """
        type Query { me: User }
        type User @key(fields: "id") { id: ID! name: String! favorite: Media }
        type Media @key(fields: "id") @interfaceObject { id: ID! }
        """
    ),
    data={
        "Query": {"me": {"id": "1"}},
        "User": [{"id": "1", "name": "Ann", "favorite": {"id": "b2"}}],
    },
)
ALL = [MEDIA, RATINGS, USERS]

CASES = [
    RouterCase(
        id="interface-object-field-on-every-implementation",
        subgraphs=ALL,
        query="{ media { title stars } }",
        expected_response={
            "data": {
                "media": [
                    {"title": "Dune", "stars": 4},
                    {"title": "Alien", "stars": 5},
                    {"title": "Emma", "stars": 3},
                ]
            }
        },
        expected_fetches={"media": 1, "ratings": 1},
        expected_representations={"ratings": 3},
    ),
    RouterCase(
        id="interface-object-field-under-a-type-condition",
        subgraphs=ALL,
        query="{ media { ... on Book { title stars } } }",
        expected_response={
            "data": {"media": [{"title": "Dune", "stars": 4}, {}, {"title": "Emma", "stars": 3}]}
        },
        expected_fetches={"media": 1, "ratings": 1},
        expected_representations={"ratings": 2},
    ),
    RouterCase(
        id="interface-object-root-with-its-own-fields",
        subgraphs=ALL,
        query="{ topRated { id stars } }",
        expected_response={
            "data": {"topRated": [{"id": "m1", "stars": 5}, {"id": "b1", "stars": 4}]}
        },
        expected_fetches={"ratings": 1},
    ),
    RouterCase(
        id="interface-object-root-typename-asked-of-the-owner",
        subgraphs=ALL,
        query="{ topRated { __typename id } }",
        expected_response={
            "data": {
                "topRated": [
                    {"__typename": "Movie", "id": "m1"},
                    {"__typename": "Book", "id": "b1"},
                ]
            }
        },
        expected_fetches={"ratings": 1, "media": 1},
    ),
    RouterCase(
        id="interface-object-root-type-conditions-asked-of-the-owner",
        subgraphs=ALL,
        query="{ topRated { stars ... on Movie { director } ... on Book { author } } }",
        expected_response={
            "data": {
                "topRated": [{"stars": 5, "director": "Scott"}, {"stars": 4, "author": "Herbert"}]
            }
        },
        expected_fetches={"ratings": 1, "media": 1},
    ),
    RouterCase(
        id="interface-object-root-interface-field-of-the-owner",
        subgraphs=ALL,
        query="{ topRated { title stars } }",
        expected_response={
            "data": {"topRated": [{"title": "Alien", "stars": 5}, {"title": "Dune", "stars": 4}]}
        },
        expected_fetches={"ratings": 1, "media": 1},
    ),
    RouterCase(
        id="interface-object-reached-from-a-third-subgraph",
        subgraphs=ALL,
        query="{ me { name favorite { title stars } } }",
        expected_response={
            "data": {"me": {"name": "Ann", "favorite": {"title": "Emma", "stars": 3}}}
        },
        expected_fetches={"users": 1, "media": 1, "ratings": 1},
    ),
    RouterCase(
        id="interface-object-typename-from-a-third-subgraph",
        subgraphs=ALL,
        query="{ me { favorite { __typename ... on Book { author } } } }",
        expected_response={
            "data": {"me": {"favorite": {"__typename": "Book", "author": "Austen"}}}
        },
        expected_fetches={"users": 1, "media": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_interface_object(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
