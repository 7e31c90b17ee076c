"""Entity jumps: through any resolvable key, in chains, over lists, never through a dead key."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.router.corpus.shop import REVIEW_ROWS, REVIEWS, SHOP
from tests.router.harness import Composer, RouterCase, SubgraphSpec, federation_sdl, run_case

# Products known by two keys; inventory knows only the sku, ratings only the upc.
CATALOG = SubgraphSpec(
    name="catalog",
    sdl=federation_sdl(
        """
        type Query { catalog: [Product!]! }
        type Product @key(fields: "upc") @key(fields: "sku") {
          upc: String! sku: String! name: String!
        }
        """
    ),
    data={
        "Query": {"catalog": [{"upc": "p1"}, {"upc": "p2"}]},
        "Product": [
            {"upc": "p1", "sku": "SKU-1", "name": "Table"},
            {"upc": "p2", "sku": "SKU-2", "name": "Chair"},
        ],
    },
)
INVENTORY = SubgraphSpec(
    name="inventory",
    sdl=federation_sdl(
        """
        type Query { lowStock: [Product!]! }
        type Product @key(fields: "sku") { sku: String! stock: Int! }
        """
    ),
    data={
        "Query": {"lowStock": [{"sku": "SKU-2"}]},
        "Product": [{"sku": "SKU-1", "stock": 12}, {"sku": "SKU-2", "stock": 1}],
    },
)
RATINGS = SubgraphSpec(
    name="ratings",
    sdl=federation_sdl(
        """
        type Query { bestRated: [Product!]! }
        type Product @key(fields: "upc") { upc: String! rating: Int! }
        """
    ),
    data={
        "Query": {"bestRated": [{"upc": "p1"}]},
        "Product": [{"upc": "p1", "rating": 5}, {"upc": "p2", "rating": 3}],
    },
)
KEYS = [CATALOG, INVENTORY, RATINGS]

# A compound key: the same id in two tenants names two accounts.
ACCOUNTS = SubgraphSpec(
    name="accounts",
    sdl=federation_sdl(
        """
        type Query { accounts: [Account!]! }
        type Account @key(fields: "tenant id") { tenant: String! id: ID! name: String! }
        """
    ),
    data={
        "Query": {"accounts": [{"tenant": "acme", "id": "7"}, {"tenant": "umbrella", "id": "7"}]},
        "Account": [
            {"tenant": "acme", "id": "7", "name": "Acme seven"},
            {"tenant": "umbrella", "id": "7", "name": "Umbrella seven"},
        ],
    },
)
BILLING = SubgraphSpec(
    name="billing",
    sdl=federation_sdl(
        """
        type Account @key(fields: "tenant id") { tenant: String! id: ID! balance: Int! }
        """
    ),
    data={
        "Account": [
            {"tenant": "umbrella", "id": "7", "balance": -5},
            {"tenant": "acme", "id": "7", "balance": 120},
        ]
    },
)

# A nested key: a member is an id within an organization.
MEMBERS = SubgraphSpec(
    name="members",
    sdl=federation_sdl(
        """
        type Query { members: [Member!]! }
        type Member @key(fields: "id organization { id }") {
          id: ID! organization: Organization! name: String!
        }
        type Organization @shareable { id: ID! }
        """
    ),
    data={
        "Query": {
            "members": [
                {"id": "1", "organization": {"id": "north"}},
                {"id": "1", "organization": {"id": "south"}},
            ]
        },
        "Member": [
            {"id": "1", "organization": {"id": "north"}, "name": "Ann of North"},
            {"id": "1", "organization": {"id": "south"}, "name": "Ann of South"},
        ],
    },
)
MEMBERSHIPS = SubgraphSpec(
    name="memberships",
    sdl=federation_sdl(
        """
        type Member @key(fields: "id organization { id }") {
          id: ID! organization: Organization! since: Int!
        }
        type Organization @shareable { id: ID! }
        """
    ),
    data={
        "Member": [
            {"id": "1", "organization": {"id": "south"}, "since": 2019},
            {"id": "1", "organization": {"id": "north"}, "since": 2021},
        ]
    },
)

# newsletter cannot be entered by User.id (resolvable: false), only by email,
# which only emails can give: the way from accounts is accounts -> emails -> newsletter.
NEWSLETTER_WAY = [
    SubgraphSpec(
        name="accounts",
        sdl=federation_sdl(
            """
            type Query { me: User }
            type User @key(fields: "id") { id: ID! name: String! }
            """
        ),
        data={"Query": {"me": {"id": "1"}}, "User": [{"id": "1", "name": "Ann"}]},
    ),
    SubgraphSpec(
        name="emails",
        sdl=federation_sdl(
            """
            type User @key(fields: "id") { id: ID! email: String! @shareable }
            """
        ),
        data={"User": [{"id": "1", "email": "ann@example.com"}]},
    ),
    SubgraphSpec(
        name="newsletter",
        sdl=federation_sdl(
            """
            type User @key(fields: "id", resolvable: false) @key(fields: "email") {
              id: ID! email: String! subscribed: Boolean!
            }
            """
        ),
        data={"User": [{"id": "1", "email": "ann@example.com", "subscribed": True}]},
    ),
]

# A review whose author the users subgraph does not know.
ORPHAN_REVIEWS = replace(
    REVIEWS,
    data={
        **REVIEWS.data,
        "Query": {
            "topReviews": [
                *REVIEW_ROWS[:1],
                {"id": "r9", "body": "Ghost", "author": {"id": "9"}, "product": {"upc": "p1"}},
            ]
        },
    },
)
ORPHAN_SHOP = [ORPHAN_REVIEWS if spec is REVIEWS else spec for spec in SHOP]

CASES = [
    RouterCase(
        id="entity-jump-to-owning-subgraph",
        subgraphs=SHOP,
        query="{ topReviews { body author { name } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"body": "Solid", "author": {"name": "Ann"}},
                    {"body": "Wobbly", "author": {"name": "Bob"}},
                    {"body": "Bright", "author": {"name": "Ann"}},
                ]
            }
        },
        expected_fetches={"reviews": 1, "users": 1},
        expected_representations={"users": 2},
    ),
    RouterCase(
        id="entity-jump-to-extending-subgraph",
        subgraphs=SHOP,
        query="{ me { name reviews { body } } }",
        expected_response={
            "data": {"me": {"name": "Ann", "reviews": [{"body": "Solid"}, {"body": "Bright"}]}}
        },
        expected_fetches={"users": 1, "reviews": 1},
        expected_representations={"reviews": 1},
    ),
    RouterCase(
        id="entity-key-not-selected-is-not-returned",
        subgraphs=SHOP,
        query="{ me { reviews { stars } } }",
        expected_response={"data": {"me": {"reviews": [{"stars": 5}, {"stars": 4}]}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="entity-key-fields-need-no-jump",
        subgraphs=SHOP,
        query="{ topReviews(first: 2) { author { id } product { upc } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"author": {"id": "1"}, "product": {"upc": "p1"}},
                    {"author": {"id": "2"}, "product": {"upc": "p1"}},
                ]
            }
        },
        expected_fetches={"reviews": 1},
    ),
    RouterCase(
        id="entity-typename-needs-no-jump",
        subgraphs=SHOP,
        query='{ review(id: "r2") { author { __typename id } } }',
        expected_response={"data": {"review": {"author": {"__typename": "User", "id": "2"}}}},
        expected_fetches={"reviews": 1},
    ),
    RouterCase(
        id="entity-two-jumps-in-a-chain",
        subgraphs=SHOP,
        query="{ me { reviews { product { name } } } }",
        expected_response={
            "data": {
                "me": {"reviews": [{"product": {"name": "Table"}}, {"product": {"name": "Lamp"}}]}
            }
        },
        expected_fetches={"users": 1, "reviews": 1, "products": 1},
    ),
    RouterCase(
        id="entity-three-jumps-in-a-chain",
        subgraphs=SHOP,
        query="{ me { name reviews { product { manufacturer { name country } } } } }",
        expected_response={
            "data": {
                "me": {
                    "name": "Ann",
                    "reviews": [
                        {"product": {"manufacturer": {"name": "Hewn", "country": "NO"}}},
                        {"product": {"manufacturer": {"name": "Hewn", "country": "NO"}}},
                    ],
                }
            }
        },
        expected_fetches={"users": 1, "reviews": 1, "products": 1, "manufacturers": 1},
        expected_representations={"reviews": 1, "products": 2, "manufacturers": 1},
    ),
    RouterCase(
        id="entity-field-of-current-subgraph-needs-no-jump-back",
        subgraphs=SHOP,
        query="{ topReviews(first: 2) { author { name reviews { body } } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"author": {"name": "Ann", "reviews": [{"body": "Solid"}, {"body": "Bright"}]}},
                    {"author": {"name": "Bob", "reviews": [{"body": "Wobbly"}]}},
                ]
            }
        },
        expected_fetches={"reviews": 1, "users": 1},
    ),
    RouterCase(
        id="entity-jumps-to-two-subgraphs-in-parallel",
        subgraphs=SHOP,
        query="{ topReviews { author { username } product { price } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"author": {"username": "ann"}, "product": {"price": 40}},
                    {"author": {"username": "bob"}, "product": {"price": 40}},
                    {"author": {"username": "ann"}, "product": {"price": 10}},
                ]
            }
        },
        expected_fetches={"reviews": 1, "users": 1, "products": 1},
        expected_representations={"users": 2, "products": 2},
    ),
    RouterCase(
        id="entity-list-of-roots-one-batched-jump",
        subgraphs=SHOP,
        query="{ users { name reviews { stars } } }",
        expected_response={
            "data": {
                "users": [
                    {"name": "Ann", "reviews": [{"stars": 5}, {"stars": 4}]},
                    {"name": "Bob", "reviews": [{"stars": 2}]},
                    {"name": "Cy", "reviews": []},
                ]
            }
        },
        expected_fetches={"users": 1, "reviews": 1},
        expected_representations={"reviews": 3},
    ),
    RouterCase(
        id="entity-nested-lists-flattened-and-deduplicated",
        subgraphs=SHOP,
        query="{ topProducts { name reviews { author { name } } } }",
        expected_response={
            "data": {
                "topProducts": [
                    {
                        "name": "Table",
                        "reviews": [{"author": {"name": "Ann"}}, {"author": {"name": "Bob"}}],
                    },
                    {"name": "Chair", "reviews": []},
                    {"name": "Lamp", "reviews": [{"author": {"name": "Ann"}}]},
                ]
            }
        },
        expected_fetches={"products": 1, "reviews": 1, "users": 1},
        expected_representations={"reviews": 3, "users": 2},
    ),
    RouterCase(
        id="entity-same-entity-many-times-one-representation",
        subgraphs=SHOP,
        query="{ topReviews { product { name } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"product": {"name": "Table"}},
                    {"product": {"name": "Table"}},
                    {"product": {"name": "Lamp"}},
                ]
            }
        },
        expected_fetches={"reviews": 1, "products": 1},
        expected_representations={"products": 2},
    ),
    RouterCase(
        id="entity-null-parent-skips-the-jump",
        subgraphs=SHOP,
        query='{ user(id: "404") { reviews { body } } }',
        expected_response={"data": {"user": None}},
        expected_fetches={"users": 1},
    ),
    RouterCase(
        id="entity-empty-list-skips-the-jump",
        subgraphs=SHOP,
        query="{ topReviews(first: 0) { author { name } } }",
        expected_response={"data": {"topReviews": []}},
        expected_fetches={"reviews": 1},
    ),
    RouterCase(
        id="entity-unknown-to-owner-gives-null-fields",
        subgraphs=ORPHAN_SHOP,
        query="{ topReviews { body author { id name } } }",
        expected_response={
            "data": {
                "topReviews": [
                    {"body": "Solid", "author": {"id": "1", "name": "Ann"}},
                    {"body": "Ghost", "author": {"id": "9", "name": None}},
                ]
            }
        },
        expected_fetches={"reviews": 1, "users": 1},
    ),
    RouterCase(
        id="entity-arguments-on-extension-field",
        subgraphs=SHOP,
        query="{ me { reviews(first: 1) { body } } }",
        expected_response={"data": {"me": {"reviews": [{"body": "Solid"}]}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="entity-variables-reach-the-entity-fetch",
        subgraphs=SHOP,
        query="query Mine($n: Int) { me { reviews(first: $n) { body } } }",
        variables={"n": 1},
        expected_response={"data": {"me": {"reviews": [{"body": "Solid"}]}}},
        expected_fetches={"users": 1, "reviews": 1},
    ),
    RouterCase(
        id="entity-second-key-of-the-owner",
        subgraphs=KEYS,
        query="{ catalog { name stock } }",
        expected_response={
            "data": {"catalog": [{"name": "Table", "stock": 12}, {"name": "Chair", "stock": 1}]}
        },
        expected_fetches={"catalog": 1, "inventory": 1},
    ),
    RouterCase(
        id="entity-entered-by-its-other-key",
        subgraphs=KEYS,
        query="{ lowStock { sku name } }",
        expected_response={"data": {"lowStock": [{"sku": "SKU-2", "name": "Chair"}]}},
        expected_fetches={"inventory": 1, "catalog": 1},
    ),
    RouterCase(
        id="entity-key-converted-through-a-middle-subgraph",
        subgraphs=KEYS,
        query="{ bestRated { rating stock } }",
        expected_response={"data": {"bestRated": [{"rating": 5, "stock": 12}]}},
        expected_fetches={"ratings": 1, "catalog": 1, "inventory": 1},
    ),
    RouterCase(
        id="entity-key-converted-the-other-way",
        subgraphs=KEYS,
        query="{ lowStock { stock rating } }",
        expected_response={"data": {"lowStock": [{"stock": 1, "rating": 3}]}},
        expected_fetches={"inventory": 1, "catalog": 1, "ratings": 1},
    ),
    RouterCase(
        id="entity-compound-key",
        subgraphs=[ACCOUNTS, BILLING],
        query="{ accounts { tenant name balance } }",
        expected_response={
            "data": {
                "accounts": [
                    {"tenant": "acme", "name": "Acme seven", "balance": 120},
                    {"tenant": "umbrella", "name": "Umbrella seven", "balance": -5},
                ]
            }
        },
        expected_fetches={"accounts": 1, "billing": 1},
        expected_representations={"billing": 2},
    ),
    RouterCase(
        id="entity-compound-key-fields-not-selected",
        subgraphs=[ACCOUNTS, BILLING],
        query="{ accounts { balance } }",
        expected_response={"data": {"accounts": [{"balance": 120}, {"balance": -5}]}},
        expected_fetches={"accounts": 1, "billing": 1},
    ),
    RouterCase(
        id="entity-nested-key",
        subgraphs=[MEMBERS, MEMBERSHIPS],
        query="{ members { name since } }",
        expected_response={
            "data": {
                "members": [
                    {"name": "Ann of North", "since": 2021},
                    {"name": "Ann of South", "since": 2019},
                ]
            }
        },
        expected_fetches={"members": 1, "memberships": 1},
        expected_representations={"memberships": 2},
    ),
    RouterCase(
        id="entity-non-resolvable-key-is-no-jump-target",
        subgraphs=NEWSLETTER_WAY,
        query="{ me { name subscribed } }",
        expected_response={"data": {"me": {"name": "Ann", "subscribed": True}}},
        expected_fetches={"accounts": 1, "emails": 1, "newsletter": 1},
        expected_sequence=["accounts", "emails", "newsletter"],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_entities(case: RouterCase, composer: Composer) -> None:
    await run_case(case, composer)
