"""The harness itself: data-driven subgraphs over HTTP, recording, composition, comparison."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from typing import Any

import aiohttp
import pytest
from graphql import GraphQLError

from router.supergraph import load_supergraph
from tests.backends import IN_CI
from tests.router.harness import (
    RouterCase,
    SubgraphSpec,
    assert_response,
    compose_supergraph,
    federation_sdl,
    serve_subgraphs,
)
from tests.router.harness.composition import SubgraphSource

ENTITIES = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) { __typename ...F }
}
"""

USERS = SubgraphSpec(
    name="users",
    sdl=federation_sdl(
        """
        type Query { me: User user(id: ID!): User users: [User!]! node: Node }
        interface Node { id: ID! }
        type User implements Node @key(fields: "id") @key(fields: "email") {
          id: ID! email: String! name: String organization: Organization
        }
        type Organization { id: ID! }
        type Account @key(fields: "tenant id") { tenant: String! id: ID! plan: String }
        type Seat @key(fields: "number venue { id }") { number: Int! venue: Venue! label: String }
        type Venue @shareable { id: ID! }
        """
    ),
    data={
        "Query": {
            "me": {"__typename": "User", "id": "1"},
            "users": [{"id": "1"}, {"id": "2"}],
            "node": {"id": "2"},
        },
        "User": [
            {"id": "1", "email": "ann@example.com", "name": "Ann", "organization": {"id": "o1"}},
            {"id": "2", "email": "bob@example.com", "name": "Bob", "organization": None},
        ],
        "Account": [
            {"tenant": "acme", "id": "1", "plan": "gold"},
            {"tenant": "umbrella", "id": "1", "plan": "free"},
        ],
        "Seat": [
            {"number": 7, "venue": {"id": "v1"}, "label": "7 at v1"},
            {"number": 7, "venue": {"id": "v2"}, "label": "7 at v2"},
        ],
    },
)

SHIPPING = SubgraphSpec(
    name="shipping",
    sdl=federation_sdl(
        """
        type Product @key(fields: "upc") {
          upc: String! weight: Int @external
          shipping(zone: String = "EU"): Int @requires(fields: "weight")
        }
        interface Media @key(fields: "id") { id: ID! }
        type Book implements Media @key(fields: "id") { id: ID! pages: Int }
        type Movie implements Media @key(fields: "id") { id: ID! minutes: Int }
        type Review @key(fields: "id") @interfaceObject { id: ID! stars: Int }
        type Store @key(fields: "id", resolvable: false) { id: ID! }
        """
    ),
    data={
        "Product": [{"upc": "p1"}],
        "Book": [{"id": "b1", "pages": 300}],
        "Movie": [{"id": "m1", "minutes": 90}],
        "Review": [{"id": "r1", "stars": 4}],
        "Store": [{"id": "s1"}],
    },
    resolvers={
        "Product.shipping": lambda product, args: (
            product["weight"] * (2 if args["zone"] == "EU" else 3)
        ),
    },
)

FAILING = SubgraphSpec(
    name="failing",
    sdl=federation_sdl("type Query { broken: String ok: Int }"),
    data={"Query": {"ok": 1}},
    resolvers={
        "Query.broken": lambda _obj, _args: _raise(
            GraphQLError("it broke", extensions={"code": "BROKEN"})
        )
    },
)


REVIEWS_SDL = federation_sdl('type User @key(fields: "id") { id: ID! reviews: [String!] }')


def _raise(error: Exception) -> Any:
    raise error


async def post(url: str, query: str, variables: Mapping[str, Any] | None = None) -> Any:
    async with aiohttp.ClientSession() as session:
        payload = {"query": query, "variables": dict(variables or {})}
        async with session.post(url, json=payload) as response:
            assert response.status == 200
            return await response.json()


async def entities(url: str, fragment: str, representations: list[dict[str, Any]]) -> Any:
    return await post(url, ENTITIES + fragment, {"representations": representations})


async def test_root_fields_complete_objects_from_their_tables() -> None:
    async with serve_subgraphs([USERS]) as served:
        body = await post(
            served["users"],
            '{ me { id name } users { name email } node { __typename id } user(id: "2") { name } }',
        )
    assert body == {
        "data": {
            "me": {"id": "1", "name": "Ann"},
            "users": [
                {"name": "Ann", "email": "ann@example.com"},
                {"name": "Bob", "email": "bob@example.com"},
            ],
            "node": {"__typename": "User", "id": "2"},
            "user": {"name": "Bob"},
        }
    }


async def test_root_field_by_key_argument_is_null_for_unknown_keys() -> None:
    async with serve_subgraphs([USERS]) as served:
        body = await post(served["users"], '{ user(id: "404") { name } }')
    assert body == {"data": {"user": None}}


async def test_entities_by_any_key_and_null_for_unknown() -> None:
    fragment = "fragment F on User { id name }"
    representations = [
        {"__typename": "User", "id": "2"},
        {"__typename": "User", "email": "ann@example.com"},
        {"__typename": "User", "id": "404"},
    ]
    async with serve_subgraphs([USERS]) as served:
        body = await entities(served["users"], fragment, representations)
    assert body == {
        "data": {
            "_entities": [
                {"__typename": "User", "id": "2", "name": "Bob"},
                {"__typename": "User", "id": "1", "name": "Ann"},
                None,
            ]
        }
    }


async def test_entities_by_compound_and_nested_keys() -> None:
    query = ENTITIES + (
        "fragment F on _Entity { ... on Account { plan } ... on Seat { label venue { id } } }"
    )
    representations = [
        {"__typename": "Account", "tenant": "umbrella", "id": "1"},
        {"__typename": "Account", "tenant": "acme", "id": "1"},
        {"__typename": "Seat", "number": 7, "venue": {"id": "v2"}},
        {"__typename": "Seat", "number": 8, "venue": {"id": "v2"}},
    ]
    async with serve_subgraphs([USERS]) as served:
        body = await post(served["users"], query, {"representations": representations})
    assert body == {
        "data": {
            "_entities": [
                {"__typename": "Account", "plan": "free"},
                {"__typename": "Account", "plan": "gold"},
                {"__typename": "Seat", "label": "7 at v2", "venue": {"id": "v2"}},
                None,
            ]
        }
    }


async def test_entities_merge_the_representation_so_requires_fields_arrive() -> None:
    query = ENTITIES + (
        'fragment F on Product { upc shipping eu: shipping(zone: "EU") us: shipping(zone: "US") }'
    )
    representations = [{"__typename": "Product", "upc": "p1", "weight": 5}]
    async with serve_subgraphs([SHIPPING]) as served:
        body = await post(served["shipping"], query, {"representations": representations})
    assert body == {
        "data": {
            "_entities": [
                {"__typename": "Product", "upc": "p1", "shipping": 10, "eu": 10, "us": 15}
            ]
        }
    }


async def test_entities_of_entity_interfaces_and_interface_objects() -> None:
    query = ENTITIES + (
        "fragment F on _Entity { ... on Book { pages } ... on Movie { minutes }"
        " ... on Review { stars } }"
    )
    representations = [
        {"__typename": "Media", "id": "m1"},
        {"__typename": "Media", "id": "b1"},
        {"__typename": "Review", "id": "r1"},
    ]
    async with serve_subgraphs([SHIPPING]) as served:
        body = await post(served["shipping"], query, {"representations": representations})
    assert body == {
        "data": {
            "_entities": [
                {"__typename": "Movie", "minutes": 90},
                {"__typename": "Book", "pages": 300},
                {"__typename": "Review", "stars": 4},
            ]
        }
    }


async def test_entities_refuse_keys_that_are_not_resolvable() -> None:
    async with serve_subgraphs([SHIPPING]) as served:
        body = await entities(
            served["shipping"], "fragment F on Store { id }", [{"__typename": "Store", "id": "s1"}]
        )
    assert body["data"] is None
    assert body["errors"][0]["path"] == ["_entities"]
    assert "names no resolvable key of Store" in body["errors"][0]["message"]


async def test_service_answers_the_sdl_as_given() -> None:
    async with serve_subgraphs([USERS, SHIPPING]) as served:
        users = await post(served["users"], "{ _service { sdl } }")
        shipping = await post(served["shipping"], "{ _service { sdl } }")
    assert users == {"data": {"_service": {"sdl": USERS.sdl}}}
    assert shipping == {"data": {"_service": {"sdl": SHIPPING.sdl}}}


async def test_every_request_is_recorded_in_arrival_order() -> None:
    representations = [{"__typename": "User", "id": "1"}, {"__typename": "User", "id": "2"}]
    async with serve_subgraphs([USERS, SHIPPING, FAILING]) as served:
        await post(served["shipping"], "{ _service { sdl } }")
        await entities(served["users"], "fragment F on User { name }", representations)
        await post(served["shipping"], "query Q($x: Int) { __typename }", {"x": 1})
        assert served.fetch_counts() == {"users": 1, "shipping": 2, "failing": 0}
        assert served.representation_counts() == {"users": 2, "shipping": 0, "failing": 0}
        assert served.sequence() == ["shipping", "users", "shipping"]
        last = served.requests("shipping")[-1]
        assert (last.query, dict(last.variables)) == ("query Q($x: Int) { __typename }", {"x": 1})
        served.clear()
        assert served.fetch_counts() == {"users": 0, "shipping": 0, "failing": 0}


async def test_resolver_errors_come_back_as_graphql_errors_with_paths() -> None:
    async with serve_subgraphs([FAILING]) as served:
        body = await post(served["failing"], "{ ok broken }")
    assert body == {
        "data": {"ok": 1, "broken": None},
        "errors": [
            {
                "message": "it broke",
                "locations": [{"line": 1, "column": 6}],
                "path": ["broken"],
                "extensions": {"code": "BROKEN"},
            }
        ],
    }


async def test_a_down_subgraph_refuses_connections() -> None:
    down = SubgraphSpec(name="down", sdl=FAILING.sdl, down=True)
    async with serve_subgraphs([down]) as served:
        with pytest.raises(aiohttp.ClientConnectionError):
            await post(served["down"], "{ ok }")
        assert served.fetch_counts() == {"down": 0}


def test_cases_refuse_budgets_for_unknown_subgraphs() -> None:
    with pytest.raises(ValueError, match="unknown subgraphs"):
        RouterCase(
            id="typo",
            subgraphs=[USERS],
            query="{ me { id } }",
            expected_response={"data": {"me": {"id": "1"}}},
            expected_fetches={"user": 1},
        )


def test_responses_compare_field_order_and_errors_by_given_keys() -> None:
    expected = {
        "data": {"a": 1, "b": {"c": None}},
        "errors": [{"path": ["b", "c"], "extensions": {"serviceName": "s"}}],
    }
    actual = {
        "data": {"a": 1, "b": {"c": None}},
        "errors": [{"message": "m", "path": ["b", "c"], "extensions": {"serviceName": "s"}}],
    }
    assert_response(actual, expected)
    with pytest.raises(AssertionError, match="out of order"):
        assert_response({**actual, "data": {"b": {"c": None}, "a": 1}}, expected)
    with pytest.raises(AssertionError, match="no error like"):
        assert_response({**actual, "errors": [{"path": ["b"]}]}, expected)
    with pytest.raises(AssertionError, match="unexpected errors"):
        assert_response({**actual, "errors": [*actual["errors"], {"path": ["a"]}]}, expected)


async def test_the_guild_composer_makes_a_supergraph_the_router_loads() -> None:
    if shutil.which("node") is None:
        if IN_CI:
            pytest.fail("Node.js must be installed under CI")
        pytest.skip("Node.js is not installed")
    sources = [
        SubgraphSource("users", "http://127.0.0.1:1/graphql", USERS.sdl),
        SubgraphSource("reviews", "http://127.0.0.1:2/graphql", REVIEWS_SDL),
    ]
    supergraph = load_supergraph(compose_supergraph(sources, "guild"))
    assert {g.name: g.url for g in supergraph.graphs.values()} == {
        "users": "http://127.0.0.1:1/graphql",
        "reviews": "http://127.0.0.1:2/graphql",
    }
    assert [key.fields for key in supergraph.type("Account").keys] == ["tenant id"]


async def test_federation_one_extensions_and_prefixed_keys_are_understood() -> None:
    legacy = SubgraphSpec(
        name="legacy",
        sdl='extend type Query { me: User }\nextend type User @key(fields: "id") { id: ID! a: Int }',
        data={"Query": {"me": {"id": "1"}}, "User": [{"id": "1", "a": 1}]},
    )
    prefixed = SubgraphSpec(
        name="prefixed",
        sdl=federation_sdl(
            'type User @federation__key(fields: "id") { id: ID! b: Int }', imports=["@shareable"]
        ),
        data={"User": [{"id": "1", "b": 2}]},
    )
    representations = [{"__typename": "User", "id": "1"}]
    async with serve_subgraphs([legacy, prefixed]) as served:
        me = await post(served["legacy"], "{ me { a } }")
        a = await entities(served["legacy"], "fragment F on User { a }", representations)
        b = await entities(served["prefixed"], "fragment F on User { b }", representations)
    assert me == {"data": {"me": {"a": 1}}}
    assert a == {"data": {"_entities": [{"__typename": "User", "a": 1}]}}
    assert b == {"data": {"_entities": [{"__typename": "User", "b": 2}]}}


def test_fetches_a_subgraph_would_refuse_are_reported() -> None:
    from router.planning.plan import Fetch, Parallel, QueryPlan
    from tests.router.harness.case import invalid_fetches

    plan = QueryPlan(
        Parallel(
            (
                Fetch("users", "{ me { name } }"),
                Fetch("users", "{ me { age } }"),
            )
        )
    )

    assert invalid_fetches(plan, [USERS]) == [
        "users: { me { age } }\n  Cannot query field 'age' on type 'User'. Did you mean 'name'?"
    ]
