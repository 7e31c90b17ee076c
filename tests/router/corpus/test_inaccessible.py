"""@inaccessible: hidden from clients (validation refuses it, no fetch is made), yet still
usable by the router itself as a key or a @requires field."""

from __future__ import annotations

import pytest

from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

USER_ROWS = [
    {"id": "1", "name": "Ann", "role": "CUSTOMER", "internalScore": 87},
    {"id": "2", "name": "Bob", "role": "STAFF", "internalScore": 12},
]
USERS = SubgraphSpec(
    name="users",
    sdl=federation_sdl(
        """
        type Query { me: User users(role: Role, internalFilter: String @inaccessible): [User!]! }
        enum Role { CUSTOMER STAFF INTERNAL @inaccessible }
        type User @key(fields: "id") {
          id: ID! name: String! role: Role! internalScore: Int @inaccessible
        }
        """
    ),
    data={"Query": {"me": {"id": "1"}}, "User": USER_ROWS},
    resolvers={
        "Query.users": lambda _root, args: [
            user for user in USER_ROWS if args.get("role") in (None, user["role"])
        ]
    },
)
RECOMMENDATIONS = SubgraphSpec(
    name="recommendations",
    sdl=federation_sdl(
        """
        type User @key(fields: "id") {
          id: ID!
          internalScore: Int @external
          level: String! @requires(fields: "internalScore")
        }
        """
    ),
    data={"User": [{"id": "1"}, {"id": "2"}]},
    resolvers={"User.level": lambda user, _: "gold" if user["internalScore"] > 50 else "basic"},
)
PRODUCTS = SubgraphSpec(
    name="products",
    sdl=federation_sdl(
        """
        type Query { products: [Product!]! }
        type Product @key(fields: "sku") { sku: String! @inaccessible name: String! }
        """
    ),
    data={
        "Query": {"products": [{"sku": "S-1"}, {"sku": "S-2"}]},
        "Product": [{"sku": "S-1", "name": "Table"}, {"sku": "S-2", "name": "Chair"}],
    },
)
STOCK = SubgraphSpec(
    name="stock",
    sdl=federation_sdl(
        """
        type Product @key(fields: "sku") { sku: String! @inaccessible stock: Int! }
        """
    ),
    data={"Product": [{"sku": "S-1", "stock": 4}, {"sku": "S-2", "stock": 0}]},
)
SEARCH = SubgraphSpec(
    name="search",
    sdl=federation_sdl(
        """
        type Query { search: [Result!]! }
        union Result = Product | Secret
        type Product @key(fields: "sku") { sku: String! @inaccessible }
        type Secret @inaccessible { code: String! }
        """
    ),
    data={"Query": {"search": [{"__typename": "Product", "sku": "S-2"}]}},
)
ALL = [USERS, RECOMMENDATIONS, PRODUCTS, STOCK, SEARCH]

# Validation failures are request errors: with this media type, HTTP 400 and no data.
STRICT = {"accept": "application/graphql-response+json"}


def refused(message: str) -> dict[str, list[dict[str, str]]]:
    return {"errors": [{"message": message}]}


CASES = [
    RouterCase(
        id="inaccessible-field-refused-without-fetching",
        subgraphs=ALL,
        query="{ me { name internalScore } }",
        headers=STRICT,
        expected_response=refused("Cannot query field 'internalScore' on type 'User'."),
        expected_fetches={},
        expected_status=400,
    ),
    RouterCase(
        id="inaccessible-field-still-serves-requires",
        subgraphs=ALL,
        query="{ me { name level } }",
        expected_response={"data": {"me": {"name": "Ann", "level": "gold"}}},
        expected_fetches={"users": 1, "recommendations": 1},
    ),
    RouterCase(
        id="inaccessible-key-field-still-serves-the-jump",
        subgraphs=ALL,
        query="{ products { name stock } }",
        expected_response={
            "data": {"products": [{"name": "Table", "stock": 4}, {"name": "Chair", "stock": 0}]}
        },
        expected_fetches={"products": 1, "stock": 1},
    ),
    RouterCase(
        id="inaccessible-key-field-refused",
        subgraphs=ALL,
        query="{ products { sku } }",
        headers=STRICT,
        expected_response=refused("Cannot query field 'sku' on type 'Product'."),
        expected_fetches={},
        expected_status=400,
    ),
    RouterCase(
        id="inaccessible-enum-value-refused-in-an-argument",
        subgraphs=ALL,
        query="{ users(role: INTERNAL) { name } }",
        headers=STRICT,
        expected_response=refused("Value 'INTERNAL' does not exist in 'Role' enum."),
        expected_fetches={},
        expected_status=400,
    ),
    RouterCase(
        id="inaccessible-enum-value-refused-in-a-variable",
        subgraphs=ALL,
        query="query Q($role: Role) { users(role: $role) { name } }",
        variables={"role": "INTERNAL"},
        headers=STRICT,
        expected_response=refused(
            "Variable '$role' has invalid value: Value 'INTERNAL' does not exist in 'Role' enum."
        ),
        expected_fetches={},
        expected_status=400,
    ),
    RouterCase(
        id="inaccessible-enum-value-neighbours-accepted",
        subgraphs=ALL,
        query="{ users(role: STAFF) { name role } }",
        expected_response={"data": {"users": [{"name": "Bob", "role": "STAFF"}]}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="inaccessible-argument-refused",
        subgraphs=ALL,
        query='{ users(internalFilter: "x") { name } }',
        headers=STRICT,
        expected_response=refused("Unknown argument 'internalFilter' on field 'Query.users'."),
        expected_fetches={},
        expected_status=400,
    ),
    RouterCase(
        id="inaccessible-union-member-refused",
        subgraphs=ALL,
        query="{ search { ... on Secret { code } } }",
        headers=STRICT,
        expected_response=refused("Unknown type 'Secret'."),
        expected_fetches={},
        expected_status=400,
    ),
    RouterCase(
        id="inaccessible-union-member-beside-accessible-ones",
        subgraphs=ALL,
        query="{ search { __typename ... on Product { name } } }",
        expected_response={"data": {"search": [{"__typename": "Product", "name": "Chair"}]}},
        expected_fetches={"search": 1, "products": 1},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_inaccessible(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
