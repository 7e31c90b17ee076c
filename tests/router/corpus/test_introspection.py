"""Introspection is answered by the router from the API schema, without fetches.

The API schema hides @inaccessible elements and federation machinery
(`join__*`, `link__*`, `_entities`, `_service`, `_Any`, `_Entity`). Fields
here come from one subgraph each, written in order, so the expected field
order does not depend on how a composer orders merged fields.
"""

from __future__ import annotations

import pytest

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

USERS = SubgraphSpec(
    name="users",
    sdl=federation_sdl(
        """
        type Query {
          me: User
          products: [Product!]!
          secretStats: Stats @inaccessible
          users(role: Role, internalFilter: String @inaccessible): [User!]!
        }
        enum Role { CUSTOMER STAFF INTERNAL @inaccessible }
        type User @key(fields: "id") {
          id: ID!
          name: String!
          nick: String @deprecated(reason: "Use name.")
          passwordHash: String @inaccessible
        }
        type Stats @inaccessible { count: Int }
        type Product @key(fields: "upc", resolvable: false) { upc: String! }
        """
    ),
    data={"Query": {"me": {"id": "1"}}, "User": [{"id": "1", "name": "Ann", "nick": "annie"}]},
)
CATALOG = SubgraphSpec(
    name="catalog",
    sdl=federation_sdl(
        """
        type Product @key(fields: "upc") { upc: String! name: String! }
        """
    ),
    data={"Product": [{"upc": "p1", "name": "Table"}]},
)
BOTH = [USERS, CATALOG]


def named(*names: str) -> list[dict[str, str]]:
    return [{"name": name} for name in names]


CASES = [
    RouterCase(
        id="introspection-root-types",
        subgraphs=BOTH,
        query="{ __schema { queryType { name } mutationType { name } subscriptionType { name } } }",
        expected_response={
            "data": {
                "__schema": {
                    "queryType": {"name": "Query"},
                    "mutationType": None,
                    "subscriptionType": None,
                }
            }
        },
        expected_fetches={},
    ),
    RouterCase(
        id="introspection-query-fields-hide-federation-and-inaccessible",
        subgraphs=BOTH,
        query='{ __type(name: "Query") { fields { name args { name } } } }',
        expected_response={
            "data": {
                "__type": {
                    "fields": [
                        {"name": "me", "args": []},
                        {"name": "products", "args": []},
                        {"name": "users", "args": named("role")},
                    ]
                }
            }
        },
        expected_fetches={},
    ),
    RouterCase(
        id="introspection-object-fields-hide-inaccessible",
        subgraphs=BOTH,
        query="""
        { __type(name: "User") {
            name kind fields { name type { kind name ofType { name } } }
        } }
        """,
        expected_response={
            "data": {
                "__type": {
                    "name": "User",
                    "kind": "OBJECT",
                    "fields": [
                        {
                            "name": "id",
                            "type": {"kind": "NON_NULL", "name": None, "ofType": {"name": "ID"}},
                        },
                        {
                            "name": "name",
                            "type": {
                                "kind": "NON_NULL",
                                "name": None,
                                "ofType": {"name": "String"},
                            },
                        },
                    ],
                }
            }
        },
        expected_fetches={},
    ),
    RouterCase(
        id="introspection-deprecated-fields-carried-through",
        subgraphs=BOTH,
        query="""
        { __type(name: "User") {
            fields(includeDeprecated: true) { name isDeprecated deprecationReason }
        } }
        """,
        expected_response={
            "data": {
                "__type": {
                    "fields": [
                        {"name": "id", "isDeprecated": False, "deprecationReason": None},
                        {"name": "name", "isDeprecated": False, "deprecationReason": None},
                        {"name": "nick", "isDeprecated": True, "deprecationReason": "Use name."},
                    ]
                }
            }
        },
        expected_fetches={},
    ),
    RouterCase(
        id="introspection-inaccessible-type-is-absent",
        subgraphs=BOTH,
        query='{ __type(name: "Stats") { name } }',
        expected_response={"data": {"__type": None}},
        expected_fetches={},
    ),
    RouterCase(
        id="introspection-federation-types-are-absent",
        subgraphs=BOTH,
        query="""
        {
          any: __type(name: "_Any") { name }
          entity: __type(name: "_Entity") { name }
          service: __type(name: "_Service") { name }
          graph: __type(name: "join__Graph") { name }
          fieldSet: __type(name: "join__FieldSet") { name }
          linkImport: __type(name: "link__Import") { name }
          linkPurpose: __type(name: "link__Purpose") { name }
        }
        """,
        expected_response={
            "data": {
                "any": None,
                "entity": None,
                "service": None,
                "graph": None,
                "fieldSet": None,
                "linkImport": None,
                "linkPurpose": None,
            }
        },
        expected_fetches={},
    ),
    RouterCase(
        id="introspection-enum-hides-inaccessible-values",
        subgraphs=BOTH,
        query='{ __type(name: "Role") { kind enumValues { name } } }',
        expected_response={
            "data": {"__type": {"kind": "ENUM", "enumValues": named("CUSTOMER", "STAFF")}}
        },
        expected_fetches={},
    ),
    RouterCase(
        id="introspection-directives-hide-federation-directives",
        subgraphs=BOTH,
        query="{ __schema { directives { name } } }",
        expected_response={
            "data": {
                "__schema": {
                    "directives": named("include", "skip", "deprecated", "specifiedBy", "oneOf")
                }
            }
        },
        expected_fetches={},
    ),
    RouterCase(
        id="introspection-beside-subgraph-data",
        subgraphs=BOTH,
        query='{ __typename me { name } __type(name: "Product") { fields { name } } }',
        expected_response={
            "data": {
                "__typename": "Query",
                "me": {"name": "Ann"},
                "__type": {"fields": named("upc", "name")},
            }
        },
        expected_fetches={"users": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_introspection(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
