"""A small supergraph for router tests, in Apollo's supergraph format, and plan helpers.

products: Query.topProducts/product/search/shops, Product @key(upc), Shop,
enum Category (LEGACY is @inaccessible), Product.secretCode @inaccessible,
type Internal @inaccessible. reviews: Product.reviews, Review, addReview.
users: Query.me, User @key(id) names. Catalog (@interfaceObject in reviews)
is an interface that Book implements in products.
"""

from __future__ import annotations

from graphql import SelectionSetNode

from router.planning.plan import Fetch, Flatten, PathElement
from router.supergraph.fieldset import parse_selection_set

SDL = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
{
  query: Query
  mutation: Mutation
}

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__field(
  graph: join__Graph
  requires: join__FieldSet
  provides: join__FieldSet
  type: String
  external: Boolean
  override: String
  usedOverridden: Boolean
) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(
  graph: join__Graph!
  key: join__FieldSet
  extension: Boolean! = false
  resolvable: Boolean! = true
  isInterfaceObject: Boolean! = false
) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ENUM | ENUM_VALUE | SCALAR | INPUT_OBJECT | INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION

scalar join__FieldSet
scalar link__Import

enum link__Purpose {
  SECURITY
  EXECUTION
}

enum join__Graph {
  PRODUCTS @join__graph(name: "products", url: "http://products.invalid/graphql")
  REVIEWS @join__graph(name: "reviews", url: "http://reviews.invalid/graphql")
  USERS @join__graph(name: "users", url: "http://users.invalid/graphql")
}

type Query
  @join__type(graph: PRODUCTS)
  @join__type(graph: REVIEWS)
  @join__type(graph: USERS)
{
  topProducts(first: Int = 5): [Product!]! @join__field(graph: PRODUCTS)
  product(upc: String!): Product @join__field(graph: PRODUCTS)
  search(text: String!): [SearchResult!]! @join__field(graph: PRODUCTS)
  catalog: [Catalog!]! @join__field(graph: PRODUCTS)
  me: User @join__field(graph: USERS)
}

type Mutation @join__type(graph: REVIEWS) {
  addReview(upc: String!, body: String!): Review! @join__field(graph: REVIEWS)
}

type Product
  @join__type(graph: PRODUCTS, key: "upc")
  @join__type(graph: REVIEWS, key: "upc")
{
  upc: String!
  name: String! @join__field(graph: PRODUCTS)
  price: Int @join__field(graph: PRODUCTS)
  category: Category @join__field(graph: PRODUCTS)
  secretCode: String @join__field(graph: PRODUCTS) @inaccessible
  reviews: [Review!] @join__field(graph: REVIEWS)
}

type Shop @join__type(graph: PRODUCTS) {
  name: String!
  owner: User
}

union SearchResult
  @join__type(graph: PRODUCTS)
  @join__unionMember(graph: PRODUCTS, member: "Product")
  @join__unionMember(graph: PRODUCTS, member: "Shop")
= Product | Shop

enum Category @join__type(graph: PRODUCTS) {
  BOOKS @join__enumValue(graph: PRODUCTS)
  GAMES @join__enumValue(graph: PRODUCTS)
  LEGACY @join__enumValue(graph: PRODUCTS) @inaccessible
}

type Internal @join__type(graph: PRODUCTS) @inaccessible {
  x: Int
}

type Review @join__type(graph: REVIEWS, key: "id") {
  id: ID!
  body: String!
  author: User!
}

type User
  @join__type(graph: PRODUCTS, key: "id", resolvable: false)
  @join__type(graph: REVIEWS, key: "id")
  @join__type(graph: USERS, key: "id")
{
  id: ID!
  name: String! @join__field(graph: USERS)
  nickname: String @join__field(graph: USERS)
}

interface Catalog
  @join__type(graph: PRODUCTS, key: "id")
  @join__type(graph: REVIEWS, key: "id", isInterfaceObject: true)
{
  id: ID!
  title: String! @join__field(graph: PRODUCTS)
  rating: Int @join__field(graph: REVIEWS)
}

type Book implements Catalog
  @join__type(graph: PRODUCTS, key: "id")
  @join__implements(graph: PRODUCTS, interface: "Catalog")
{
  id: ID!
  title: String!
  rating: Int @join__field
}
"""


def selection_set(text: str) -> SelectionSetNode:
    return parse_selection_set(f"{{ {text} }}")


def fetch(
    service: str,
    operation: str,
    *,
    requires: str | None = None,
    variables: tuple[str, ...] = (),
    kind: str = "query",
    rename: str | None = None,
) -> Fetch:
    return Fetch(
        service=service,
        operation=operation,
        operation_kind=kind,  # type: ignore[arg-type]  # tests pass "query" or "mutation"
        variable_usages=variables,
        requires=selection_set(requires) if requires is not None else None,
        rename_typename_to=rename,
    )


def entity_fetch(
    service: str, type_name: str, selections: str, requires: str, rename: str | None = None
) -> Fetch:
    """`_entities` for `type_name`, representations made from `requires` on each object."""
    operation = (
        "query($representations:[_Any!]!){_entities(representations:$representations)"
        f"{{... on {rename or type_name} {{ {selections} }}}}}}"
    )
    return fetch(
        service,
        operation,
        requires=f"... on {type_name} {{ __typename {requires} }}",
        rename=rename,
    )


def flatten(path: str, node: Fetch) -> Flatten:
    elements: tuple[PathElement, ...] = tuple(path.split("."))
    return Flatten(elements, node)
