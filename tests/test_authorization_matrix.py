"""Who may use each root field, as one table, checked through the router of
`shopgraph dev` and through the owning subgraph's own URL.

A cell says whether the caller is refused (UNAUTHENTICATED or FORBIDDEN, as a
GraphQL error or a UserError) or let through (the answer may still be null or
another UserError: bad input is not a refusal). Every root field of the
supergraph must have a row, so a new field cannot ship without deciding.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from router.supergraph import load_supergraph
from shopgraph.dev import create_dev_app
from shopgraph.loopback import free_port, served
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.settings import Settings

SUPERGRAPH = load_supergraph(
    (Path(__file__).parents[1] / "schema" / "supergraph.graphql").read_text()
)
ALL, SIGNED_IN, STAFF = "all", "signed in", "staff"
WHEN = '(from: "2026-01-01T00:00:00+00:00", to: "2026-01-02T00:00:00+00:00"'
# root field -> (operation, who may use it)
MATRIX: dict[tuple[str, str], tuple[str, str]] = {
    ("Query", "product"): ('{ product(id: "x") { id } }', ALL),
    ("Query", "products"): ("{ products { totalCount } }", ALL),
    ("Query", "searchProducts"): ('{ searchProducts(query: "a") { totalCount } }', ALL),
    ("Query", "categories"): ("{ categories { id } }", ALL),
    ("Query", "cart"): ("{ cart { itemCount } }", SIGNED_IN),
    ("Query", "order"): ('{ order(id: "x") { id } }', SIGNED_IN),
    ("Query", "myOrders"): ("{ myOrders { totalCount } }", SIGNED_IN),
    ("Query", "orders"): ("{ orders { totalCount } }", STAFF),
    ("Query", "recommendations"): ("{ recommendations { id } }", ALL),
    ("Query", "salesReport"): (f"{{ salesReport{WHEN}, granularity: DAY) {{ orders }} }}", STAFF),
    ("Query", "topProducts"): (f"{{ topProducts{WHEN}) {{ views }} }}", STAFF),
    ("Query", "funnel"): (f"{{ funnel{WHEN}) {{ views }} }}", STAFF),
    ("Query", "searchTerms"): (f"{{ searchTerms{WHEN}) {{ query }} }}", STAFF),
    ("Query", "operationStats"): (f"{{ operationStats{WHEN}) {{ requests }} }}", STAFF),
    ("Query", "review"): ('{ review(id: "x") { id } }', ALL),
    ("Query", "me"): ("{ me { id } }", SIGNED_IN),
    ("Query", "user"): ('{ user(id: "x") { id username } }', ALL),
    ("Mutation", "createProduct"): (
        'mutation { createProduct(input: {name: "n", description: "d", price: "1", stock: 1})'
        " { errors { code } } }",
        STAFF,
    ),
    ("Mutation", "updateProduct"): (
        'mutation { updateProduct(id: "x", input: {stock: 1}) { errors { code } } }',
        STAFF,
    ),
    ("Mutation", "deleteProduct"): (
        'mutation { deleteProduct(id: "x") { errors { code } } }',
        STAFF,
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
        'mutation { cancelOrder(id: "x") { errors { code } } }',
        SIGNED_IN,
    ),
    ("Mutation", "retryPayment"): (
        'mutation { retryPayment(orderId: "x", paymentMethod: {cardNumber: "4242424242424242",'
        ' expMonth: 12, expYear: 2040, cvc: "123"}) { errors { code } } }',
        SIGNED_IN,
    ),
    ("Mutation", "shipOrder"): ('mutation { shipOrder(id: "x") { errors { code } } }', STAFF),
    ("Mutation", "deliverOrder"): ('mutation { deliverOrder(id: "x") { errors { code } } }', STAFF),
    ("Mutation", "refundOrder"): ('mutation { refundOrder(id: "x") { errors { code } } }', STAFF),
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
        'mutation { updateReview(id: "x", input: {rating: 4}) { errors { code } } }',
        SIGNED_IN,
    ),
    ("Mutation", "deleteReview"): (
        'mutation { deleteReview(id: "x") { errors { code } } }',
        SIGNED_IN,
    ),
    ("Mutation", "hideReview"): (
        'mutation { hideReview(id: "x", reason: "spam") { errors { code } } }',
        STAFF,
    ),
    ("Mutation", "restoreReview"): (
        'mutation { restoreReview(id: "x") { errors { code } } }',
        STAFF,
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
REFUSALS = {"UNAUTHENTICATED", "FORBIDDEN"}
CALLERS = ("anonymous", "customer", "staff")


def _allowed(rule: str, caller: str) -> bool:
    return rule == ALL or (rule == SIGNED_IN and caller != "anonymous") or caller == "staff"


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
    issue = app.state.subgraphs["users"].state.services.tokens.issue
    tokens = {
        "anonymous": None,
        "customer": issue(Principal("matrix-customer", Role.CUSTOMER)),
        "staff": issue(Principal("matrix-staff", Role.STAFF)),
    }
    wrong = []
    for (root, field), (operation, rule) in MATRIX.items():
        [graph] = SUPERGRAPH.field_sources(root, field)
        name = SUPERGRAPH.graphs[graph].name
        for caller in CALLERS:
            token = tokens[caller]
            headers = {"authorization": f"Bearer {token}"} if token else {}
            for path in ("/graphql", f"/subgraphs/{name}/graphql"):
                response = await dev.post(path, json={"query": operation}, headers=headers)
                body = response.json()
                refused = bool(_codes(body) & REFUSALS)
                # An operation that does not validate would prove nothing either way.
                invalid = response.status_code >= 400 or any(
                    "locations" in e and "path" not in e for e in body.get("errors", [])
                )
                if refused == _allowed(rule, caller) or invalid:
                    wrong.append(f"{field} as {caller} at {path}: {response.text[:300]}")
    assert wrong == [], "\n".join(wrong)
