"""Who may use each root field, and each entity field that is not public, as one
table, checked through the router of `shopgraph dev` and through the owning
subgraph's own URL.

The callers are anonymous, a customer who owns the object a row reads or changes
(a demo customer's order, review or account), another customer, and staff. A cell
says whether the caller is refused (UNAUTHENTICATED or FORBIDDEN, as a GraphQL
error or a UserError; for an owned object also the way it is hidden from others:
null, or a not-found code for an object that does exist) or let through (the
answer may still be null or another UserError: bad input is not a refusal, nor is
an order already cancelled by the caller before). Every root field of the
supergraph must have a row, so a new field cannot ship without deciding.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from graphql import GraphQLObjectType, parse
from starlette.applications import Starlette

from router.policies.requirements import read_rules
from router.supergraph import load_supergraph
from shopgraph.dev import create_dev_app
from shopgraph.loopback import free_port, served
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.settings import Settings
from subgraphs.users.seed import seed_customers

SUPERGRAPH = load_supergraph(
    (Path(__file__).parents[1] / "schema" / "supergraph.graphql").read_text()
)
ANONYMOUS, OWNER, OTHER, STAFF = "anonymous", "owner", "another customer", "staff"
# Refused callers go first: an allowed one may delete or cancel what a row reads.
CALLERS = (ANONYMOUS, OTHER, STAFF, OWNER)
ALL = frozenset(CALLERS)
SIGNED_IN = frozenset({OWNER, OTHER, STAFF})
OWNER_OR_STAFF = frozenset({OWNER, STAFF})
OWNER_ONLY = frozenset({OWNER})
STAFF_ONLY = frozenset({STAFF})
NULL = "null"  # hidden from others by answering null
Rule = tuple[str, frozenset[str]] | tuple[str, frozenset[str], str]
WHEN = '(from: "2026-01-01T00:00:00+00:00", to: "2026-01-02T00:00:00+00:00"'
# root field -> (operation, who may use it[, how the owned object is hidden from others])
MATRIX: dict[tuple[str, str], Rule] = {
    ("Query", "product"): ('{ product(id: "x") { id } }', ALL),
    ("Query", "products"): ("{ products { totalCount } }", ALL),
    ("Query", "searchProducts"): ('{ searchProducts(query: "a") { totalCount } }', ALL),
    ("Query", "categories"): ("{ categories { id } }", ALL),
    ("Query", "cart"): ("{ cart { itemCount } }", SIGNED_IN),
    ("Query", "order"): (
        "query($orderId: ID!) { order(id: $orderId) { id } }",
        OWNER_OR_STAFF,
        NULL,
    ),
    ("Query", "myOrders"): ("{ myOrders { totalCount } }", SIGNED_IN),
    ("Query", "orders"): ("{ orders { totalCount } }", STAFF_ONLY),
    ("Query", "recommendations"): ("{ recommendations { id } }", ALL),
    ("Query", "salesReport"): (
        f"{{ salesReport{WHEN}, granularity: DAY) {{ orders }} }}",
        STAFF_ONLY,
    ),
    ("Query", "topProducts"): (f"{{ topProducts{WHEN}) {{ views }} }}", STAFF_ONLY),
    ("Query", "funnel"): (f"{{ funnel{WHEN}) {{ views }} }}", STAFF_ONLY),
    ("Query", "searchTerms"): (f"{{ searchTerms{WHEN}) {{ query }} }}", STAFF_ONLY),
    ("Query", "operationStats"): (f"{{ operationStats{WHEN}) {{ requests }} }}", STAFF_ONLY),
    ("Query", "review"): ("query($reviewId: ID!) { review(id: $reviewId) { id } }", ALL),
    ("Query", "me"): ("{ me { id } }", SIGNED_IN),
    ("Query", "user"): ("query($userId: ID!) { user(id: $userId) { id username } }", ALL),
    ("Mutation", "createProduct"): (
        'mutation { createProduct(input: {name: "n", description: "d", price: "1", stock: 1})'
        " { errors { code } } }",
        STAFF_ONLY,
    ),
    ("Mutation", "updateProduct"): (
        'mutation { updateProduct(id: "x", input: {stock: 1}) { errors { code } } }',
        STAFF_ONLY,
    ),
    ("Mutation", "deleteProduct"): (
        'mutation { deleteProduct(id: "x") { errors { code } } }',
        STAFF_ONLY,
    ),
    ("Mutation", "addToCart"): (
        'mutation { addToCart(productId: "x", quantity: 1) { errors { code } } }',
        SIGNED_IN,
    ),
    ("Mutation", "updateCartLine"): (
        'mutation { updateCartLine(productId: "x", quantity: 0) { errors { code } } }',
        SIGNED_IN,
    ),
    ("Mutation", "clearCart"): ("mutation { clearCart { errors { code } } }", SIGNED_IN),
    ("Mutation", "checkout"): (
        'mutation { checkout(input: {idempotencyKey: "k", paymentMethod: {cardNumber: '
        '"4242424242424242", expMonth: 12, expYear: 2040, cvc: "123"}}) { errors { code } } }',
        SIGNED_IN,
    ),
    ("Mutation", "cancelOrder"): (
        "mutation($cancelledId: ID!) { cancelOrder(id: $cancelledId) { errors { code } } }",
        OWNER_OR_STAFF,
        "ORDER_NOT_FOUND",
    ),
    ("Mutation", "retryPayment"): (
        "mutation($orderId: ID!) { retryPayment(orderId: $orderId, paymentMethod: "
        '{cardNumber: "4242424242424242", expMonth: 12, expYear: 2040, cvc: "123"})'
        " { errors { code } } }",
        OWNER_ONLY,  # staff see the order, but pay with no one's card
        "ORDER_NOT_FOUND",
    ),
    ("Mutation", "shipOrder"): ('mutation { shipOrder(id: "x") { errors { code } } }', STAFF_ONLY),
    ("Mutation", "deliverOrder"): (
        'mutation { deliverOrder(id: "x") { errors { code } } }',
        STAFF_ONLY,
    ),
    ("Mutation", "refundOrder"): (
        'mutation { refundOrder(id: "x") { errors { code } } }',
        STAFF_ONLY,
    ),
    ("Mutation", "trackEvent"): (
        'mutation { trackEvent(input: {type: PRODUCT_VIEWED, productId: "x"})'
        " { errors { code } } }",
        ALL,
    ),
    ("Mutation", "addReview"): (
        'mutation { addReview(input: {productId: "x", rating: 5, comment: "good"}) { errors { code } } }',
        SIGNED_IN,
    ),
    ("Mutation", "updateReview"): (
        "mutation($reviewId: ID!) { updateReview(id: $reviewId, input: {rating: 4})"
        " { errors { code } } }",
        OWNER_ONLY,
    ),
    ("Mutation", "deleteReview"): (
        "mutation($doomedId: ID!) { deleteReview(id: $doomedId) { errors { code } } }",
        OWNER_OR_STAFF,
    ),
    ("Mutation", "hideReview"): (
        'mutation { hideReview(id: "x", reason: "spam") { errors { code } } }',
        STAFF_ONLY,
    ),
    ("Mutation", "restoreReview"): (
        'mutation { restoreReview(id: "x") { errors { code } } }',
        STAFF_ONLY,
    ),
    ("Mutation", "markReviewHelpful"): (
        'mutation { markReviewHelpful(id: "x") { errors { code } } }',
        SIGNED_IN,
    ),
    ("Mutation", "register"): (
        'mutation { register(input: {username: "", email: "", password: ""}) { errors { code } } }',
        ALL,
    ),
    ("Mutation", "login"): (
        'mutation { login(input: {email: "nobody@example.com", password: "x"}) { errors { code } } }',
        ALL,
    ),
    ("Mutation", "refreshToken"): (
        'mutation { refreshToken(refreshToken: "x") { errors { code } } }',
        ALL,
    ),
    ("Mutation", "logout"): ('mutation { logout(refreshToken: "x") }', ALL),
}
# entity field -> (operation through the router, `_entities` operation at the subgraph,
# who may read it, how it is hidden from others). Public entity fields have no row.
ENTITY_MATRIX: dict[tuple[str, str], tuple[str, str, frozenset[str], str | None]] = {
    ("User", field): (
        f"query($userId: ID!) {{ user(id: $userId) {{ {selection} }} }}",
        "query($userRep: _Any!) { _entities(representations: [$userRep])"
        f" {{ ... on User {{ {selection} }} }} }}",
        OWNER_OR_STAFF,
        None,
    )
    for field, selection in {
        "email": "email",
        "role": "role",
        "orders": "orders { totalCount }",
        "cart": "cart { itemCount }",
    }.items()
}
ENTITY_MATRIX["Order", "status"] = (  # every Order field: the whole entity is hidden
    "query($orderId: ID!) { order(id: $orderId) { status total { amount } } }",
    "query($orderRep: _Any!) { _entities(representations: [$orderRep])"
    " { ... on Order { status total { amount } } } }",
    OWNER_OR_STAFF,
    NULL,
)
ENTITY_MATRIX["Review", "moderation"] = (
    "query($reviewId: ID!) { review(id: $reviewId) { moderation { action } } }",
    "query($reviewRep: _Any!) { _entities(representations: [$reviewRep])"
    " { ... on Review { moderation { action } } } }",
    STAFF_ONLY,
    None,
)
# The row of one field stands for every field of these entities: the whole object is hidden.
HIDDEN_ENTITIES = {"Order": ("Order", "status")}
# Entity fields anyone may read (a HIDDEN review, as a whole, only its author and staff).
# Every other field of an entity needs a row above, so none ships without deciding.
PUBLIC_ENTITY_FIELDS = frozenset(
    [("User", name) for name in ("id", "username", "createdAt", "reviews")]
    + [
        ("Product", name)
        for name in (
            "id",
            "name",
            "description",
            "price",
            "stock",
            "inStock",
            "category",
            "createdAt",
            "updatedAt",
            "averageRating",
            "reviewCount",
            "ratingDistribution",
            "reviews",
            "frequentlyBoughtTogether",
            "alsoViewed",
        )
    ]
    + [
        ("Review", name)
        for name in (
            "id",
            "product",
            "author",
            "rating",
            "comment",
            "status",
            "verifiedPurchase",
            "helpfulCount",
            "createdAt",
            "updatedAt",
        )
    ]
)
REFUSALS = {"UNAUTHENTICATED", "FORBIDDEN"}
DECLINED = "4000000000000002"  # the payment simulator's declined card
ORDER_STATUS = "query($id: ID!) { order(id: $id) { status } }"


def _refused(body: Any, hidden_as: str | None) -> bool:
    codes = _codes(body)
    if codes & REFUSALS:
        return True
    if hidden_as == NULL:
        return not _shows_anything(body.get("data"))
    return hidden_as in codes


def _shows_anything(data: Any) -> bool:
    if isinstance(data, dict):
        return any(_shows_anything(v) for v in data.values())
    if isinstance(data, list):
        return any(_shows_anything(v) for v in data)
    return data is not None


def _codes(body: Any) -> set[str]:
    """Every `code` anywhere in a response: GraphQL errors and UserErrors alike."""
    if isinstance(body, dict):
        found = {body["code"]} if isinstance(body.get("code"), str) else set()
        return found.union(*(_codes(v) for v in body.values()))
    if isinstance(body, list):
        return set().union(*(_codes(v) for v in body))
    return set()


def test_every_root_field_has_a_row() -> None:
    api = SUPERGRAPH.api_schema
    roots = {
        (root.name, field)
        for root in (api.query_type, api.mutation_type)
        if root
        for field in root.fields
    }
    assert roots == set(MATRIX)


def test_every_entity_field_that_is_not_public_has_a_row() -> None:
    """The entities and their fields come from the composed supergraph; a field that
    carries an access directive (@authenticated, @requiresScopes, @policy) is never public."""
    api = SUPERGRAPH.api_schema
    entity_fields = {
        (meta.name, field)
        for meta in SUPERGRAPH.types.values()
        if meta.is_entity and meta.name in api.type_map
        for field in cast(GraphQLObjectType, api.type_map[meta.name]).fields
    }
    guarded = set(read_rules(parse(SUPERGRAPH.sdl), api).fields) & entity_fields
    covered = set(ENTITY_MATRIX) | {
        (type_name, field) for type_name, field in entity_fields if type_name in HIDDEN_ENTITIES
    }

    unruled = sorted(
        f"{t}.{f}" for t, f in ((entity_fields - PUBLIC_ENTITY_FIELDS) | guarded) - covered
    )
    assert unruled == [], f"entity fields that are not public and have no row: {unruled}"
    guarded_public = sorted(f"{t}.{f}" for t, f in guarded & PUBLIC_ENTITY_FIELDS)
    assert guarded_public == [], f"listed public, but guarded by a directive: {guarded_public}"
    assert entity_fields >= PUBLIC_ENTITY_FIELDS, "a public field that no entity has"
    assert set(HIDDEN_ENTITIES.values()) <= set(ENTITY_MATRIX)


@pytest.fixture
async def platform(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Starlette]]:
    port = free_port()
    app = create_dev_app(settings, port)
    async with served(app, port) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield client, app


async def test_every_cell_holds_through_the_router_and_the_subgraph(
    platform: tuple[httpx.AsyncClient, Starlette],
) -> None:
    dev, app = platform
    owner, other, *_ = await seed_customers(app.state.subgraphs["users"].state.services)
    issue = app.state.subgraphs["users"].state.services.tokens.issue
    tokens = {
        ANONYMOUS: None,
        OWNER: issue(Principal(owner.id, Role.CUSTOMER)),
        OTHER: issue(Principal(other.id, Role.CUSTOMER)),
        STAFF: issue(Principal("matrix-staff", Role.STAFF)),
    }
    ids = await _owned_by(dev, owner.id, tokens[OWNER])
    # (row, [(path, operation)], who may, how hidden)
    cells: list[tuple[str, list[tuple[str, str]], frozenset[str], str | None]] = []
    for (root, field), (operation, who, *hidden) in MATRIX.items():
        subgraph = _subgraph_path(root, field)
        paths = [("/graphql", operation), (subgraph, operation)]
        cells.append((f"{root}.{field}", paths, who, hidden[0] if hidden else None))
    for (type_name, field), (routed, direct, who, hidden_as) in ENTITY_MATRIX.items():
        paths = [("/graphql", routed), (_subgraph_path(type_name, field), direct)]
        cells.append((f"{type_name}.{field}", paths, who, hidden_as))

    wrong = []
    for name, paths, who, hidden_as in cells:
        for caller in CALLERS:
            token = tokens[caller]
            headers = {"authorization": f"Bearer {token}"} if token else {}
            for path, operation in paths:
                variables = {k: v for k, v in ids.items() if re.search(rf"\${k}\b", operation)}
                response = await dev.post(
                    path, json={"query": operation, "variables": variables}, headers=headers
                )
                body = response.json()
                # An operation that does not validate would prove nothing either way.
                invalid = response.status_code >= 400 or any(
                    "locations" in e and "path" not in e for e in body.get("errors", [])
                )
                if _refused(body, hidden_as) == (caller in who) or invalid:
                    wrong.append(f"{name} as {caller} at {path}: {response.text[:300]}")
    assert wrong == [], "\n".join(wrong)


def _subgraph_path(type_name: str, field: str) -> str:
    [graph] = SUPERGRAPH.field_sources(type_name, field)
    return f"/subgraphs/{SUPERGRAPH.graphs[graph].name}/graphql"


async def _owned_by(dev: httpx.AsyncClient, user_id: str, token: str) -> dict[str, Any]:
    """Ids of two orders (one whose payment failed, one paid) and two reviews of the
    demo customer `user_id`."""
    headers = {"authorization": f"Bearer {token}"}

    async def call(query: str, variables: dict[str, Any] | None = None) -> Any:
        response = await dev.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    reviews = await call(
        "query($id: ID!) { user(id: $id) { reviews(first: 2) { edges { node { id } } } } }",
        {"id": user_id},
    )
    review, doomed = [edge["node"]["id"] for edge in reviews["user"]["reviews"]["edges"]]
    product = (await call("{ products(first: 1) { edges { node { id } } } }"))["products"]

    async def order(key: str, card: str) -> str:
        added = await call(
            "mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { errors { code } } }",
            {"id": product["edges"][0]["node"]["id"]},
        )
        assert added["addToCart"]["errors"] == []
        placed = await call(
            "mutation($key: String!, $card: String!) { checkout(input: {idempotencyKey: $key,"
            ' paymentMethod: {cardNumber: $card, expMonth: 12, expYear: 2040, cvc: "123"}})'
            " { order { id } errors { code } } }",
            {"key": key, "card": card},
        )
        assert placed["checkout"]["errors"] == []
        order_id: str = placed["checkout"]["order"]["id"]
        return order_id

    failed = await order("matrix-declined", DECLINED)  # retryPayment needs a failed payment
    for _ in range(600):  # the in-process payments worker declines it shortly
        status = (await call(ORDER_STATUS, {"id": failed}))["order"]["status"]
        if status == "PAYMENT_FAILED":
            break
        await asyncio.sleep(0.05)
    assert status == "PAYMENT_FAILED"
    cancelled = await order("matrix-paid", "4242424242424242")
    return {
        "orderId": failed,
        "cancelledId": cancelled,
        "reviewId": review,
        "doomedId": doomed,
        "userId": user_id,
        "userRep": {"__typename": "User", "id": user_id},
        "orderRep": {"__typename": "Order", "id": failed},
        "reviewRep": {"__typename": "Review", "id": review},
    }
