"""Many buyers, little stock: checkouts racing for the last units never oversell.

A hundred customers each hold one unit of a product with ten in stock and check out at
the same moment. Exactly ten get an order; the others are refused with nothing created.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from subgraphs.commerce.models import OrderRow
from tests.subgraphs.commerce.conftest import Shop
from tests.subgraphs.commerce.helpers import put_in_cart

BUYERS = 100
STOCK = 10


async def test_a_hundred_buyers_for_ten_units_make_ten_orders(shop: Shop) -> None:
    lamp = await shop.product(stock=STOCK, price="40.00", name="Lamp")
    tokens = [shop.token(f"buyer-{n}") for n in range(BUYERS)]
    # Filled through the store: a hundred addToCart calls are tested elsewhere, and slow.
    for n in range(BUYERS):
        await put_in_cart(shop, f"buyer-{n}", lamp)

    results = await asyncio.gather(*(shop.checkout(token, key="rush") for token in tokens))

    winners = [n for n, result in enumerate(results) if result["order"] is not None]
    losers = [n for n, result in enumerate(results) if result["order"] is None]
    assert len(winners) == STOCK, [result["errors"] for result in results]
    for n in winners:
        order = results[n]["order"]
        assert results[n]["errors"] == []
        # The worker runs meanwhile: an order may be paid before its checkout answers.
        assert order["status"] in {"PENDING_PAYMENT", "PAID"}
        assert (order["user"], order["total"]) == (
            {"id": f"buyer-{n}"},
            {"amount": "40.00", "currency": "USD"},
        )
        assert [(each["product"]["id"], each["quantity"]) for each in order["lines"]] == [(lamp, 1)]
    for n in losers:
        # The error's field is checked on its own, below.
        assert results[n] == {
            "order": None,
            "errors": [
                {
                    "field": results[n]["errors"][0]["field"],
                    "code": "INSUFFICIENT_STOCK",
                    "message": f"only 0 of product {lamp} left",
                }
            ],
        }
    assert await shop.stock(lamp) == 0

    settled = await asyncio.gather(
        *(shop.settled(results[n]["order"]["id"], tokens[n]) for n in winners)
    )
    assert [order["status"] for order in settled] == ["PAID"] * STOCK
    assert await shop.stock(lamp) == 0
    # No order, and no checkout left half-done, for anyone else.
    async with shop.commerce.database.session() as session:
        rows = (await session.execute(select(OrderRow.user_id, OrderRow.status))).all()
    assert sorted(rows) == sorted((f"buyer-{n}", "PAID") for n in winners)
    # A refused checkout leaves the cart as it was, to try again later.
    for n in losers:
        assert await shop.commerce.carts.lines(f"buyer-{n}") == [(lamp, 1)]


async def test_a_checkout_refused_for_stock_names_the_cart(shop: Shop) -> None:
    first, late = shop.token("first"), shop.token("late")
    lamp = await shop.product(stock=1, price="40.00", name="Lamp")
    await shop.add(first, lamp)
    await shop.add(late, lamp)
    assert (await shop.checkout(first))["errors"] == []

    refused = await shop.checkout(late)

    # `field` names the checkout's input (the cart), as EMPTY_CART and
    # PRODUCT_NOT_FOUND do; "lines" is the catalog's internal reserveStock argument.
    assert refused == {
        "order": None,
        "errors": [
            {
                "field": ["cart"],
                "code": "INSUFFICIENT_STOCK",
                "message": f"only 0 of product {lamp} left",
            }
        ],
    }
    assert await shop.stock(lamp) == 0
