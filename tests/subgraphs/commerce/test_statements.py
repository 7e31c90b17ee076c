"""Statement budgets of commerce's order reads: each field batches, so an order page,
one order or a batch of order entities costs the same few statements whatever their
number of orders, lines and payments."""

from __future__ import annotations

from typing import Any

import pytest

from subgraphs.commerce.queues import CARTS_GROUP
from subgraphs.platform.events.bus import InProcessBus
from tests.statements import recorded_statements
from tests.subgraphs.commerce.conftest import ORDER, ORDER_FIELDS, Shop, card
from tests.subgraphs.commerce.helpers import eventually, placed_order

MY_ORDERS = f"""
query Mine($first: Int!) {{
  myOrders(first: $first) {{ edges {{ cursor node {{ {ORDER_FIELDS} }} }} totalCount }}
}}"""
ENTITIES = f"""
query E($reps: [_Any!]!) {{
  _entities(representations: $reps) {{
    ... on Order {{ {ORDER_FIELDS} }}
    ... on User {{ id orders(first: 10) {{ edges {{ node {{ {ORDER_FIELDS} }} }} totalCount }} }}
  }}
}}"""


async def _paid_orders(shop: Shop, token: str, count: int) -> list[str]:
    """`count` paid orders of two products each, oldest first."""
    lamp, rug = await shop.product(stock=10, name="Lamp"), await shop.product(stock=10, name="Rug")
    ids = []
    for n in range(count):
        await shop.add(token, lamp)
        order = await placed_order(shop, token, rug, key=f"budget-{n}")
        assert (await shop.settled(order["id"], token))["status"] == "PAID"
        ids.append(order["id"])
    await _carts_cleared_by_events(shop)
    return ids


async def _carts_cleared_by_events(shop: Shop) -> None:
    """Waits for the `order.placed` consumer that empties carts to go idle, so that its
    statements (the database cart store's) are not counted in a read's."""
    bus = shop.commerce.bus
    assert isinstance(bus, InProcessBus)
    await eventually(lambda: _backlog(bus, CARTS_GROUP), lambda n: n == 0)


async def _backlog(bus: InProcessBus, group: str) -> int:
    return bus.backlog(group)


async def _counted(
    shop: Shop, query: str, variables: dict[str, Any], token: str
) -> tuple[dict[str, Any], list[str]]:
    with recorded_statements(shop.commerce.database.engine) as statements:
        body = await shop.query(query, variables, token)
    assert "errors" not in body, body
    return body["data"], statements


@pytest.fixture
async def orders(shop: Shop) -> list[str]:
    return await _paid_orders(shop, shop.token("budget-customer"), 3)


async def test_one_order_with_its_lines_and_payments_costs_three_statements(
    shop: Shop, orders: list[str]
) -> None:
    data, statements = await _counted(shop, ORDER, {"id": orders[0]}, shop.token("budget-customer"))

    assert len(data["order"]["lines"]) == 2
    assert [p["status"] for p in data["order"]["payments"]] == ["SUCCEEDED"]
    assert len(statements) == 3, statements  # the order, its lines, its payments


@pytest.mark.parametrize("first", [1, 3])
async def test_a_page_of_orders_costs_four_statements_whatever_its_size(
    shop: Shop, orders: list[str], first: int
) -> None:
    data, statements = await _counted(
        shop, MY_ORDERS, {"first": first}, shop.token("budget-customer")
    )

    page = data["myOrders"]
    assert [edge["node"]["id"] for edge in page["edges"]] == orders[::-1][:first]
    assert page["totalCount"] == 3
    assert all(len(edge["node"]["payments"]) == 1 for edge in page["edges"])
    assert len(statements) == 4, statements  # count, page, lines, payments


async def test_order_entities_are_loaded_in_one_batch(shop: Shop, orders: list[str]) -> None:
    reps = [{"__typename": "Order", "id": order_id} for order_id in orders]
    data, statements = await _counted(shop, ENTITIES, {"reps": reps}, shop.token("budget-customer"))

    assert [entity["id"] for entity in data["_entities"]] == orders
    assert all(len(entity["payments"]) == 1 for entity in data["_entities"])
    assert len(statements) == 3, statements  # orders, lines, payments of all three


async def test_a_users_orders_as_an_entity_field_cost_a_page(shop: Shop, orders: list[str]) -> None:
    reps = [{"__typename": "User", "id": "budget-customer"}]
    data, statements = await _counted(shop, ENTITIES, {"reps": reps}, shop.token("budget-customer"))

    [user] = data["_entities"]
    assert [edge["node"]["id"] for edge in user["orders"]["edges"]] == orders[::-1]
    assert len(statements) == 4, statements  # count, page, lines, payments


CHECKOUT_LINES = """
mutation C($input: CheckoutInput!) {
  checkout(input: $input) { order { id status lines { product { id } quantity } } errors { code } }
}"""


def _shape(statement: str) -> str:
    """`INSERT INTO orders`, `SELECT FROM orders`: the verb and the table."""
    words = statement.split()
    verb = words[0].upper()
    table = words[words.index("INTO" if verb == "INSERT" else "FROM") + 1]
    return f"{verb} {table}"


async def test_a_checkout_costs_two_statements_beside_the_cart_store(shop: Shop) -> None:
    """The order is looked for and the hold taken in one statement, in autocommit; the
    order is written in one more (one transaction of five on SQLite) and answered
    without reading it back."""
    token = shop.token("budget-buyer")
    lamp, rug = await shop.product(stock=5, name="Lamp"), await shop.product(stock=5, name="Rug")
    await shop.add(token, lamp, 2)
    await shop.add(token, rug)
    variables = {"input": {"idempotencyKey": "budget-checkout", "paymentMethod": card()}}

    data, statements = await _counted(shop, CHECKOUT_LINES, variables, token)

    placed = data["checkout"]
    assert placed["errors"] == []
    assert placed["order"]["status"] == "PENDING_PAYMENT"
    assert [(line["product"]["id"], line["quantity"]) for line in placed["order"]["lines"]] == [
        (lamp, 2),
        (rug, 1),
    ]
    # The database cart store's own statements (dev's carts; production's are in Redis).
    ours = [s for s in statements if "cart_lines" not in s and "pg_advisory" not in s]
    writes = (
        [
            "DELETE checkout_holds",
            "INSERT orders",
            "INSERT order_lines",
            "INSERT payments",
            "INSERT outbox",
        ]
        if shop.commerce.database.is_sqlite
        else ["WITH checkout_holds"]  # WITH claimed AS (DELETE FROM checkout_holds …) …
    )
    assert [_shape(s) for s in ours] == ["INSERT checkout_holds", *writes], ours
