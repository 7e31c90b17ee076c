"""Checkout and payment outcomes on one backend at a time, with the in-process bus."""

from __future__ import annotations

import asyncio

from tests.subgraphs.commerce.conftest import DECLINED, SUCCEEDS, Shop
from tests.subgraphs.commerce.helpers import charged


async def test_checkout_pays_and_sells_the_stock(shop: Shop) -> None:
    alice = shop.token("alice")
    mug = await shop.product(stock=5, price="12.50", name="Mug")
    tea = await shop.product(stock=3, price="4.99", name="Tea")
    await shop.add(alice, mug, 2)
    await shop.add(alice, tea, 1)

    placed = await shop.checkout(alice)

    assert placed["errors"] == []
    order = placed["order"]
    assert order["status"] == "PENDING_PAYMENT"
    assert order["total"] == {"amount": "29.99", "currency": "USD"}
    assert order["user"] == {"id": "alice"}
    assert [
        (line["productName"], line["quantity"], line["lineTotal"]["amount"])
        for line in order["lines"]
    ] == [
        ("Mug", 2, "25.00"),
        ("Tea", 1, "4.99"),
    ]
    # The worker may already have charged it: the payment's status is not asserted here.
    assert [{**p, "id": None, "status": None} for p in order["payments"]] == [
        {
            "id": None,
            "status": None,
            "amount": {"amount": "29.99"},
            "failureReason": None,
            "cardBrand": "visa",
            "cardLast4": "4242",
        }
    ]
    assert (await shop.stock(mug), await shop.stock(tea)) == (3, 2)
    cart = await shop.query("{ cart { itemCount lines { quantity } } }", token=alice)
    assert cart["data"]["cart"] == {"itemCount": 0, "lines": []}

    paid = await shop.settled(order["id"], alice)

    assert paid["status"] == "PAID"
    assert paid["payments"][0]["status"] == "SUCCEEDED"
    assert (await shop.stock(mug), await shop.stock(tea)) == (3, 2)


async def test_declined_card_releases_the_stock_and_a_retry_pays(shop: Shop) -> None:
    bob = shop.token("bob")
    lamp = await shop.product(stock=4, price="30.00", name="Lamp")
    await shop.add(bob, lamp, 3)

    placed = await shop.checkout(bob, number=DECLINED)
    failed = await shop.settled(placed["order"]["id"], bob)

    assert failed["status"] == "PAYMENT_FAILED"
    assert failed["payments"][0]["failureReason"] == "card_declined"
    assert await shop.stock(lamp) == 4

    retried = await shop.query(
        """mutation R($id: ID!, $card: PaymentMethodInput!) {
             retryPayment(orderId: $id, paymentMethod: $card) { order { status } errors { code } }
           }""",
        {
            "id": failed["id"],
            "card": {"cardNumber": SUCCEEDS, "expMonth": 1, "expYear": 2040, "cvc": "999"},
        },
        bob,
    )
    assert retried["data"]["retryPayment"] == {"order": {"status": "PENDING_PAYMENT"}, "errors": []}
    assert await shop.stock(lamp) == 1

    paid = await shop.settled(failed["id"], bob)
    assert paid["status"] == "PAID"
    assert [p["status"] for p in paid["payments"]] == ["FAILED", "SUCCEEDED"]
    assert await shop.stock(lamp) == 1


async def test_the_same_key_twenty_times_at_once_makes_one_order(shop: Shop) -> None:
    carol = shop.token("carol")
    chair = await shop.product(stock=10, name="Chair")
    await shop.add(carol, chair, 2)

    results = await asyncio.gather(*(shop.checkout(carol, key="same") for _ in range(20)))

    assert all(result["errors"] == [] for result in results), results
    ids = {result["order"]["id"] for result in results}
    assert len(ids) == 1
    order_id = ids.pop()
    paid = await shop.settled(order_id, carol)
    assert paid["status"] == "PAID"
    [payment] = paid["payments"]
    assert await charged(shop, payment["id"]) == (1, "succeeded", False)
    assert await shop.stock(chair) == 8
    mine = await shop.query("{ myOrders { totalCount } }", token=carol)
    assert mine["data"]["myOrders"]["totalCount"] == 1


async def test_a_key_reused_for_another_cart_is_refused(shop: Shop) -> None:
    dora = shop.token("dora")
    lamp, rug = await shop.product(stock=5, name="Lamp"), await shop.product(stock=5, name="Rug")
    await shop.add(dora, lamp, 1)
    first = await shop.checkout(dora, key="reused")
    assert first["errors"] == []
    retried = await shop.checkout(dora, key="reused")  # the cart was cleared: a plain retry
    assert retried["order"]["id"] == first["order"]["id"]

    await shop.add(dora, rug, 2)
    reused = await shop.checkout(dora, key="reused")

    assert reused == {
        "order": None,
        "errors": [
            {
                "field": ["idempotencyKey"],
                "code": "IDEMPOTENCY_KEY_REUSED",
                "message": "this idempotency key was used for another cart; "
                "use a new key for a new order",
            }
        ],
    }
    assert await shop.stock(rug) == 5
    fresh = await shop.checkout(dora, key="fresh")
    assert [(line["quantity"]) for line in fresh["order"]["lines"]] == [2]
