"""Orders moving along the state machine, with the stock and the money that go with each move:
cancelling, failed and retried charges, staff moves, expiry, and late or repeated outcomes."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

from subgraphs.commerce.background import apply_payment_outcome
from subgraphs.commerce.events import PAYMENT_SUCCEEDED, payment_outcome
from subgraphs.commerce.payments.provider import ChargeOutcome
from subgraphs.commerce.payments.worker import NOT_AWAITED, running_payments_worker
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.platform.settings import Settings
from tests.subgraphs.commerce.conftest import (
    DECLINED,
    INSUFFICIENT_FUNDS,
    SUCCEEDS,
    TRANSIENT_TWICE,
    Shop,
    open_shop,
)
from tests.subgraphs.commerce.helpers import (
    charged,
    eventually,
    move_order,
    outbox_event,
    payment_row,
    placed_order,
    refused,
    status_changes,
)

PLACED = (None, "PENDING_PAYMENT", "checkout")
PAID = ("PENDING_PAYMENT", "PAID", "paid")


def payment(status: str, last4: str, amount: str, reason: str | None = None) -> dict[str, Any]:
    """A payment as the order query shows it, without its id."""
    return {
        "status": status,
        "amount": {"amount": amount},
        "failureReason": reason,
        "cardBrand": "visa",
        "cardLast4": last4,
    }


def without_ids(order: dict[str, Any] | None) -> dict[str, Any]:
    assert order is not None
    return {**order, "payments": [{**p, "id": None} for p in order["payments"]]}


def as_payload(order: dict[str, Any]) -> dict[str, Any]:
    """The `order` of a move's payload, for an order as the order query showed it."""
    return {
        "id": order["id"],
        "status": order["status"],
        "payments": [
            {"status": p["status"], "failureReason": p["failureReason"]} for p in order["payments"]
        ],
    }


def invalid_state(current: str, target: str) -> dict[str, Any]:
    return {
        "order": None,
        "errors": refused(
            "INVALID_STATE", f"an order that is {current} cannot become {target}", ["status"]
        ),
    }


async def test_cancelling_an_unpaid_order_releases_its_stock(settings: Settings) -> None:
    async with open_shop(settings, worker=False) as shop:
        ann = shop.token("ann")
        vase = await shop.product(stock=5, price="20.00", name="Vase")
        placed = await placed_order(shop, ann, vase, 2, key="k")
        assert await shop.stock(vase) == 3

        cancelled = await move_order(shop, "cancelOrder", placed["id"], ann)

        assert cancelled == {
            "order": {
                "id": placed["id"],
                "status": "CANCELLED",
                "payments": [{"status": "PENDING", "failureReason": None}],
            },
            "errors": [],
        }
        assert await shop.stock(vase) == 5
        assert without_ids(await shop.order(placed["id"], ann)) == {
            **without_ids(placed),
            "status": "CANCELLED",
        }
        assert await status_changes(shop, placed["id"]) == [
            PLACED,
            ("PENDING_PAYMENT", "CANCELLED", "cancelled"),
        ]

        again = await move_order(shop, "cancelOrder", placed["id"], ann)

        assert again == invalid_state("CANCELLED", "CANCELLED")
        assert await shop.stock(vase) == 5


async def test_a_paid_order_cannot_be_cancelled(shop: Shop) -> None:
    ann = shop.token("ann")
    desk = await shop.product(stock=4, price="99.00", name="Desk")
    placed = await placed_order(shop, ann, desk, key="k")
    paid = await shop.settled(placed["id"], ann)
    assert paid["status"] == "PAID"

    refusal = await move_order(shop, "cancelOrder", placed["id"], ann)

    assert refusal == invalid_state("PAID", "CANCELLED")
    assert await shop.order(placed["id"], ann) == paid
    assert await shop.stock(desk) == 3
    assert await charged(shop, paid["payments"][0]["id"]) == (
        1,
        "succeeded",
        False,
    )
    assert await status_changes(shop, placed["id"]) == [PLACED, PAID]


async def test_insufficient_funds_fail_the_payment_and_release_the_stock(shop: Shop) -> None:
    ann = shop.token("ann")
    sofa = await shop.product(stock=3, price="450.00", name="Sofa")
    placed = await placed_order(shop, ann, sofa, 2, key="k", number=INSUFFICIENT_FUNDS)

    failed = await shop.settled(placed["id"], ann)

    assert without_ids(failed) == {
        **without_ids(placed),
        "status": "PAYMENT_FAILED",
        "payments": [
            {**payment("FAILED", "9995", "900.00", "insufficient_funds"), "id": None},
        ],
    }
    assert await shop.stock(sofa) == 3
    assert await charged(shop, failed["payments"][0]["id"]) == (
        1,
        "insufficient_funds",
        False,
    )
    assert await status_changes(shop, placed["id"]) == [
        PLACED,
        ("PENDING_PAYMENT", "PAYMENT_FAILED", "payment failed: insufficient_funds"),
    ]


async def test_a_transient_failure_is_charged_again_until_it_succeeds(settings: Settings) -> None:
    quick_retries = settings.model_copy(update={"bus_retry_delays_seconds": (0.05, 0.1, 0.2)})
    async with open_shop(quick_retries) as shop:
        ann = shop.token("ann")
        kite = await shop.product(stock=2, price="15.00", name="Kite")
        placed = await placed_order(shop, ann, kite, key="k", number=TRANSIENT_TWICE)

        paid = await shop.settled(placed["id"], ann)

        assert without_ids(paid) == {
            **without_ids(placed),
            "status": "PAID",
            "payments": [{**payment("SUCCEEDED", "0119", "15.00"), "id": None}],
        }
        assert await charged(shop, paid["payments"][0]["id"]) == (
            3,
            "succeeded",
            False,
        )
        assert await shop.stock(kite) == 1
        assert await shop.commerce.bus.dead_letters("commerce.payments") == []


async def test_customers_may_not_ship_deliver_or_refund(shop: Shop) -> None:
    ann = shop.token("ann")
    hat = await shop.product(stock=3, price="25.00", name="Hat")
    placed = await placed_order(shop, ann, hat, key="k")
    paid = await shop.settled(placed["id"], ann)

    for mutation in ("shipOrder", "deliverOrder", "refundOrder"):
        refusal = await move_order(shop, mutation, placed["id"], ann)
        assert refusal == {
            "order": None,
            "errors": refused("FORBIDDEN", "only staff may do this", None),
        }, mutation

    assert await shop.order(placed["id"], ann) == paid
    assert await status_changes(shop, placed["id"]) == [PLACED, PAID]


async def test_staff_ship_then_deliver_and_nothing_else_moves_a_delivered_order(
    shop: Shop,
) -> None:
    ann, staff = shop.token("ann"), shop.staff_token
    hat = await shop.product(stock=3, price="25.00", name="Hat")
    placed = await placed_order(shop, ann, hat, key="k")
    order_id = placed["id"]
    paid = await shop.settled(order_id, ann)

    assert await move_order(shop, "deliverOrder", order_id, staff) == invalid_state(
        "PAID", "DELIVERED"
    )
    shipped = await move_order(shop, "shipOrder", order_id, staff)
    assert shipped == {"order": {**as_payload(paid), "status": "SHIPPED"}, "errors": []}
    assert await move_order(shop, "shipOrder", order_id, staff) == invalid_state(
        "SHIPPED", "SHIPPED"
    )
    assert await move_order(shop, "refundOrder", order_id, staff) == invalid_state(
        "SHIPPED", "REFUNDED"
    )
    assert await move_order(shop, "cancelOrder", order_id, ann) == invalid_state(
        "SHIPPED", "CANCELLED"
    )
    delivered = await move_order(shop, "deliverOrder", order_id, staff)
    assert delivered == {"order": {**as_payload(paid), "status": "DELIVERED"}, "errors": []}
    for mutation, target in (
        ("shipOrder", "SHIPPED"),
        ("deliverOrder", "DELIVERED"),
        ("refundOrder", "REFUNDED"),
    ):
        assert await move_order(shop, mutation, order_id, staff) == invalid_state(
            "DELIVERED", target
        )

    assert await shop.order(order_id, ann) == {**paid, "status": "DELIVERED"}
    assert await shop.stock(hat) == 2
    assert await status_changes(shop, order_id) == [
        PLACED,
        PAID,
        ("PAID", "SHIPPED", "shipped"),
        ("SHIPPED", "DELIVERED", "delivered"),
    ]


async def test_staff_refund_a_paid_order_and_the_money_goes_back(shop: Shop) -> None:
    ann, staff = shop.token("ann"), shop.staff_token
    coat = await shop.product(stock=3, price="80.00", name="Coat")
    placed = await placed_order(shop, ann, coat, key="k")
    paid = await shop.settled(placed["id"], ann)
    [charge] = paid["payments"]

    refunded = await move_order(shop, "refundOrder", placed["id"], staff)

    assert refunded == {
        "order": {
            "id": placed["id"],
            "status": "REFUNDED",
            "payments": [{"status": "REFUNDED", "failureReason": None}],
        },
        "errors": [],
    }
    assert await charged(shop, charge["id"]) == (1, "succeeded", True)
    assert await shop.order(placed["id"], ann) == {
        **paid,
        "status": "REFUNDED",
        "payments": [{**charge, "status": "REFUNDED"}],
    }
    assert await shop.stock(coat) == 2  # the goods stay sold: returns are not modelled
    for mutation, target in (("refundOrder", "REFUNDED"), ("shipOrder", "SHIPPED")):
        assert await move_order(shop, mutation, placed["id"], staff) == invalid_state(
            "REFUNDED", target
        )
    assert await status_changes(shop, placed["id"]) == [
        PLACED,
        PAID,
        ("PAID", "REFUNDED", "refunded"),
    ]


async def test_staff_cannot_ship_a_failed_order_or_move_an_unknown_one(shop: Shop) -> None:
    ann, staff = shop.token("ann"), shop.staff_token
    cap = await shop.product(stock=3, price="9.00", name="Cap")
    placed = await placed_order(shop, ann, cap, key="k", number=DECLINED)
    failed = await shop.settled(placed["id"], ann)

    assert await move_order(shop, "shipOrder", placed["id"], staff) == invalid_state(
        "PAYMENT_FAILED", "SHIPPED"
    )
    assert await move_order(shop, "refundOrder", placed["id"], staff) == invalid_state(
        "PAYMENT_FAILED", "REFUNDED"
    )
    for mutation in ("shipOrder", "deliverOrder", "refundOrder"):
        assert await move_order(shop, mutation, "no-such-order", staff) == {
            "order": None,
            "errors": refused("ORDER_NOT_FOUND", "there is no order no-such-order", ["id"]),
        }
    assert await shop.order(placed["id"], ann) == failed
    assert await shop.stock(cap) == 3


async def test_an_unpaid_order_expires_and_its_stock_comes_back(settings: Settings) -> None:
    async with open_shop(
        settings, worker=False, commerce=CommerceSettings(reservation_ttl_seconds=1)
    ) as shop:
        ann = shop.token("ann")
        bike = await shop.product(stock=2, price="300.00", name="Bike")
        placed = await placed_order(shop, ann, bike, 2, key="k")
        assert await shop.stock(bike) == 0

        expired = await eventually(
            lambda: shop.order(placed["id"], ann),
            lambda order: order is not None and order["status"] != "PENDING_PAYMENT",
        )

        assert without_ids(expired) == {**without_ids(placed), "status": "CANCELLED"}
        assert await shop.stock(bike) == 2
        assert await status_changes(shop, placed["id"]) == [
            PLACED,
            ("PENDING_PAYMENT", "CANCELLED", "reservation expired"),
        ]


async def test_a_failed_order_expires_without_releasing_its_stock_twice(
    settings: Settings,
) -> None:
    async with open_shop(settings, commerce=CommerceSettings(reservation_ttl_seconds=1)) as shop:
        ann = shop.token("ann")
        bike = await shop.product(stock=2, price="300.00", name="Bike")
        placed = await placed_order(shop, ann, bike, 2, key="k", number=DECLINED)

        expired = await eventually(
            lambda: status_changes(shop, placed["id"]), lambda changes: len(changes) == 3
        )

        assert expired == [
            PLACED,
            ("PENDING_PAYMENT", "PAYMENT_FAILED", "payment failed: card_declined"),
            ("PAYMENT_FAILED", "CANCELLED", "reservation expired"),
        ]
        order = await shop.order(placed["id"], ann)
        assert without_ids(order) == {
            **without_ids(placed),
            "status": "CANCELLED",
            "payments": [{**payment("FAILED", "0002", "600.00", "card_declined"), "id": None}],
        }
        assert await shop.stock(bike) == 2


async def test_a_worker_that_comes_after_the_cancel_takes_no_money(settings: Settings) -> None:
    async with open_shop(settings, worker=False) as shop:
        # Started and stopped once, so the bus keeps the group's events for it, as a
        # durable RabbitMQ queue does while its workers are down.
        async with running_payments_worker(shop.commerce):
            pass
        ann = shop.token("ann")
        lamp = await shop.product(stock=4, price="30.00", name="Lamp")
        placed = await placed_order(shop, ann, lamp, key="k")
        await move_order(shop, "cancelOrder", placed["id"], ann)

        async with running_payments_worker(shop.commerce):
            settled = await eventually(
                lambda: shop.order(placed["id"], ann),
                lambda order: order is not None and order["payments"][0]["status"] != "PENDING",
            )

        assert without_ids(settled) == {
            **without_ids(placed),
            "status": "CANCELLED",
            "payments": [{**payment("FAILED", "4242", "30.00", NOT_AWAITED), "id": None}],
        }
        assert await charged(shop, placed["payments"][0]["id"]) is None
        assert await shop.stock(lamp) == 4
        assert await status_changes(shop, placed["id"]) == [
            PLACED,
            ("PENDING_PAYMENT", "CANCELLED", "cancelled"),
        ]


async def test_a_repeated_payment_outcome_moves_the_order_once(shop: Shop) -> None:
    ann = shop.token("ann")
    rug = await shop.product(stock=2, price="70.00", name="Rug")
    placed = await placed_order(shop, ann, rug, key="k")
    paid = await shop.settled(placed["id"], ann)
    [charge] = paid["payments"]
    succeeded = await outbox_event(shop, PAYMENT_SUCCEEDED, charge["id"])

    # The consumer applied it once already; these are redeliveries, two of them racing.
    await asyncio.gather(
        apply_payment_outcome(shop.commerce, succeeded),
        apply_payment_outcome(shop.commerce, succeeded),
    )
    await apply_payment_outcome(shop.commerce, succeeded)

    assert await status_changes(shop, placed["id"]) == [PLACED, PAID]
    assert await shop.order(placed["id"], ann) == paid
    assert await charged(shop, charge["id"]) == (1, "succeeded", False)
    assert await shop.stock(rug) == 1


async def test_a_second_success_event_for_the_paying_payment_refunds_nothing(shop: Shop) -> None:
    ann = shop.token("ann")
    rug = await shop.product(stock=2, price="70.00", name="Rug")
    placed = await placed_order(shop, ann, rug, key="k")
    paid = await shop.settled(placed["id"], ann)
    [charge] = paid["payments"]
    first = await outbox_event(shop, PAYMENT_SUCCEEDED, charge["id"])
    # Not a redelivery (another event id), so the inbox does not catch it.
    again = dataclasses.replace(first, id=uuid.uuid4())

    await apply_payment_outcome(shop.commerce, again)

    assert await shop.order(placed["id"], ann) == paid
    assert await charged(shop, charge["id"]) == (1, "succeeded", False)
    assert await status_changes(shop, placed["id"]) == [PLACED, PAID]


async def test_a_success_that_comes_after_the_cancel_is_refunded(settings: Settings) -> None:
    async with open_shop(settings, worker=False) as shop:
        ann = shop.token("ann")
        drum = await shop.product(stock=3, price="55.00", name="Drum")
        placed = await placed_order(shop, ann, drum, key="k")
        payment_id = placed["payments"][0]["id"]
        await move_order(shop, "cancelOrder", placed["id"], ann)
        # The worker charged just before the cancel and reports the success just after.
        row = await payment_row(shop, payment_id)
        outcome = await shop.commerce.payments.charge(
            payment_id, row.method_token, row.amount, row.currency
        )
        assert outcome == ChargeOutcome(succeeded=True)

        await apply_payment_outcome(shop.commerce, payment_outcome(row))

        assert await charged(shop, payment_id) == (1, "succeeded", True)
        assert without_ids(await shop.order(placed["id"], ann)) == {
            **without_ids(placed),
            "status": "CANCELLED",
            "payments": [{**payment("REFUNDED", "4242", "55.00"), "id": None}],
        }
        assert await shop.stock(drum) == 3
        assert await status_changes(shop, placed["id"]) == [
            PLACED,
            ("PENDING_PAYMENT", "CANCELLED", "cancelled"),
        ]


async def test_a_customer_pays_a_failed_order_again_with_another_card(shop: Shop) -> None:
    ann = shop.token("ann")
    oven = await shop.product(stock=2, price="200.00", name="Oven")
    placed = await placed_order(shop, ann, oven, key="k", number=DECLINED)
    await shop.settled(placed["id"], ann)

    retried = await shop.query(
        """mutation R($id: ID!, $card: PaymentMethodInput!) {
             retryPayment(orderId: $id, paymentMethod: $card) {
               order { status } errors { field code message }
             }
           }""",
        {
            "id": placed["id"],
            "card": {"cardNumber": SUCCEEDS, "expMonth": 1, "expYear": 2040, "cvc": "999"},
        },
        ann,
    )
    paid = await shop.settled(placed["id"], ann)

    assert retried == {
        "data": {
            "retryPayment": {
                "order": {"status": "PENDING_PAYMENT"},
                "errors": [],
            }
        }
    }
    assert without_ids(paid) == {
        **without_ids(placed),
        "status": "PAID",
        "payments": [
            {**payment("FAILED", "0002", "200.00", "card_declined"), "id": None},
            {**payment("SUCCEEDED", "4242", "200.00"), "id": None},
        ],
    }
    assert await shop.stock(oven) == 1
    assert await status_changes(shop, placed["id"]) == [
        PLACED,
        ("PENDING_PAYMENT", "PAYMENT_FAILED", "payment failed: card_declined"),
        ("PAYMENT_FAILED", "PENDING_PAYMENT", "payment retried"),
        PAID,
    ]
