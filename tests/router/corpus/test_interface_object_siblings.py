"""@interfaceObject fields asked of the subgraph that provides them, and shared abstract fields.

A field selected on the interface, without a type condition, is read from the
@interfaceObject subgraph that provides it, directly by the interface's name,
even from another @interfaceObject subgraph: the interface's owner is asked
only for what needs the concrete type. A shared field whose union has other
members in each subgraph serving it can only return members all of them know.
"""

from __future__ import annotations

import pytest

from tests.router.corpus.test_interface_object import MEDIA, RATINGS, USERS
from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

REVIEWS = SubgraphSpec(
    name="reviews",
    sdl=federation_sdl(
        """
        type Media @key(fields: "id") @interfaceObject { id: ID! reviewCount: Int! }
        """
    ),
    data={
        "Media": [
            {"id": "b1", "reviewCount": 12},
            {"id": "m1", "reviewCount": 30},
            {"id": "b2", "reviewCount": 0},
        ]
    },
)
ALL = [MEDIA, RATINGS, USERS, REVIEWS]


def search_subgraph(name: str, own_member: str) -> SubgraphSpec:
    """A subgraph sharing `search`, whose union has Book and a member of its own."""
    return SubgraphSpec(
        name=name,
        sdl=federation_sdl(
            f"""
            type Query {{ search: [Result!]! @shareable }}
            union Result = Book | {own_member}
            type Book @shareable {{ title: String! }}
            type {own_member} {{ length: Int! }}
            """
        ),
        data={"Query": {"search": [{"__typename": "Book", "title": t} for t in ("Dune", "Emma")]}},
    )


SHOP = search_subgraph("shop", "Movie")
RADIO = search_subgraph("radio", "Song")

CASES = [
    RouterCase(
        id="interface-object-field-read-from-its-sibling-directly",
        subgraphs=ALL,
        query="{ me { favorite { stars } } }",
        expected_response={"data": {"me": {"favorite": {"stars": 3}}}},
        expected_fetches={"users": 1, "ratings": 1},
    ),
    RouterCase(
        id="interface-object-root-field-of-a-sibling",
        subgraphs=ALL,
        query="{ topRated { id stars reviewCount } }",
        expected_response={
            "data": {
                "topRated": [
                    {"id": "m1", "stars": 5, "reviewCount": 30},
                    {"id": "b1", "stars": 4, "reviewCount": 12},
                ]
            }
        },
        expected_fetches={"ratings": 1, "reviews": 1},
    ),
    RouterCase(
        id="interface-object-sibling-beside-the-owner",
        subgraphs=ALL,
        query="{ topRated { reviewCount title } }",
        expected_response={
            "data": {
                "topRated": [
                    {"reviewCount": 30, "title": "Alien"},
                    {"reviewCount": 12, "title": "Dune"},
                ]
            }
        },
        expected_fetches={"ratings": 1, "reviews": 1, "media": 1},
    ),
    RouterCase(
        id="interface-object-two-siblings-from-a-third-subgraph",
        subgraphs=ALL,
        query="{ me { name favorite { stars reviewCount } } }",
        expected_response={
            "data": {"me": {"name": "Ann", "favorite": {"stars": 3, "reviewCount": 0}}}
        },
        expected_fetches={"users": 1, "ratings": 1, "reviews": 1},
    ),
    RouterCase(
        id="interface-object-sibling-field-skipped",
        subgraphs=ALL,
        query="query ($rated: Boolean!) { me { name favorite { stars @include(if: $rated) } } }",
        variables={"rated": False},
        expected_response={"data": {"me": {"name": "Ann", "favorite": {}}}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="interface-object-sibling-and-a-type-condition",
        subgraphs=ALL,
        query="{ me { favorite { reviewCount ... on Book { author } } } }",
        expected_response={"data": {"me": {"favorite": {"reviewCount": 0, "author": "Austen"}}}},
        expected_fetches={"users": 1, "reviews": 1, "media": 1},
    ),
    RouterCase(
        id="shared-union-keeps-members-every-subgraph-knows",
        subgraphs=[SHOP, RADIO],
        query="{ search { ... on Book { title } ... on Movie { length } ... on Song { length } } }",
        expected_response={"data": {"search": [{"title": "Dune"}, {"title": "Emma"}]}},
        expected_fetches={"radio": 1},
    ),
    RouterCase(
        id="shared-union-typename-and-foreign-members",
        subgraphs=[SHOP, RADIO],
        query="{ search { __typename ... on Song { length } } }",
        expected_response={"data": {"search": [{"__typename": "Book"}, {"__typename": "Book"}]}},
        expected_fetches={"radio": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_interface_object_siblings(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
