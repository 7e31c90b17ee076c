"""The whole printed supergraph, directive definitions included, for the two join versions."""

from __future__ import annotations

from router.composition import SubgraphSource, compose

USERS = SubgraphSource(
    "users",
    "http://users:4001/graphql",
    """
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.6",
      import: ["@key", "@shareable", "@inaccessible", "@tag", "@authenticated",
               "@requiresScopes", "@policy"])
    type Query { me: User @authenticated }
    type User @key(fields: "id") {
      id: ID!
      email: String @requiresScopes(scopes: [["users:read"]]) @tag(name: "pii")
      internal: Int @inaccessible
    }
    """,
)
COMMERCE = SubgraphSource(
    "commerce",
    "http://commerce:4003/graphql",
    """
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7",
      import: ["@key", "@override", "@policy"])
    type User @key(fields: "id") {
      id: ID!
      cart: [String!]! @policy(policies: [["owner"]]) @override(from: "users", label: "percent(10)")
    }
    """,
)

EXPECTED_FULL = """\
schema @link(url: "https://specs.apollo.dev/link/v1.0") @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION) @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY) @link(url: "https://specs.apollo.dev/tag/v0.3") @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY) @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY) @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY) {
  query: Query
}

directive @join__directive(graphs: [join__Graph!], name: String!, args: join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String, contextArguments: [join__ContextArgument!]) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

input join__ContextArgument {
  name: String!
  type: String!
  context: String!
  selection: join__FieldValue!
}

scalar join__DirectiveArguments

scalar join__FieldSet

scalar join__FieldValue

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

scalar link__Import

enum link__Purpose {
  SECURITY
  EXECUTION
}

directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ENUM | ENUM_VALUE | SCALAR | INPUT_OBJECT | INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION

directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA

directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

scalar requiresScopes__Scope

directive @policy(policies: [[policy__Policy!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

scalar policy__Policy

enum join__Graph {
  COMMERCE @join__graph(name: "commerce", url: "http://commerce:4003/graphql")
  USERS @join__graph(name: "users", url: "http://users:4001/graphql")
}

type Query @join__type(graph: COMMERCE) @join__type(graph: USERS) {
  me: User @join__field(graph: USERS) @authenticated
}

type User @join__type(graph: COMMERCE, key: "id") @join__type(graph: USERS, key: "id") {
  id: ID!
  cart: [String!]! @join__field(graph: COMMERCE, override: "users", overrideLabel: "percent(10)") @policy(policies: [["owner"]])
  email: String @join__field(graph: USERS) @tag(name: "pii") @requiresScopes(scopes: [["users:read"]])
  internal: Int @join__field(graph: USERS) @inaccessible
}
"""

EXPECTED_PLAIN = """\
schema @link(url: "https://specs.apollo.dev/link/v1.0") \
@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) {
  query: Query
}

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, \
provides: join__FieldSet, type: String, external: Boolean, override: String, \
usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) \
repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, \
extension: Boolean! = false, resolvable: Boolean! = true, \
isInterfaceObject: Boolean! = false) \
repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

scalar join__FieldSet

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) \
repeatable on SCHEMA

scalar link__Import

enum link__Purpose {
  SECURITY
  EXECUTION
}

enum join__Graph {
  USERS @join__graph(name: "users", url: "http://users:4001/graphql")
}

type Query @join__type(graph: USERS) {
  version: String
}
"""


def test_full_output_with_progressive_override_and_every_carried_spec() -> None:
    result = compose([USERS, COMMERCE])
    assert result.errors == ()
    assert result.supergraph_sdl == EXPECTED_FULL


def test_full_output_of_a_plain_subgraph() -> None:
    plain = SubgraphSource(
        "users",
        "http://users:4001/graphql",
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: [])\n'
        "type Query { version: String }\n",
    )
    result = compose([plain])
    assert result.errors == ()
    assert result.supergraph_sdl == EXPECTED_PLAIN
