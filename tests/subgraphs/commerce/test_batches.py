"""The order jobs and the payments worker handle what arrives together as one batch: each
item still gets exactly its own effect and its own settlement."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import func, select

from subgraphs.commerce.background import apply_payment_outcomes
from subgraphs.commerce.catalog_client import CatalogUnavailable
from subgraphs.commerce.events import (
    ORDER_PLACED,
    PAYMENT_FAILED,
    PAYMENT_SUCCEEDED,
    order_moved,
)
from subgraphs.commerce.models import OrderRow, inbox, outbox
from subgraphs.commerce.payments.worker import handle_payments
from subgraphs.commerce.queues import OUTCOMES_GROUP
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.platform.events import Event
from subgraphs.platform.settings import Settings
from tests.statements import recorded_statements
from tests.subgraphs.commerce.conftest import DECLINED, TRANSIENT_TWICE, Shop, open_shop
from tests.subgraphs.commerce.helpers import (
    DownCatalog,
    NotingCatalog,
    charged,
    outbox_event,
    payment_row,
    placed_order,
    status_changes,
)

PLACED = (None, "PENDING_PAYMENT", "checkout")


def _shape(statement: str) -> str:
    """A statement's first words; of a WITH, each CTE's verb and the main statement's."""
    words = statement.split()
    if words[0] != "WITH":
        return " ".join(words[:3] if words[0] in {"INSERT", "SELECT"} else words[:2])
    verb = r"(SELECT|INSERT INTO \w+|UPDATE \w+|DELETE FROM \w+)"
    ctes = re.findall(rf"(\w+) AS\s+\({verb}", statement)
    # The main statement starts where the last CTE's parenthesis closes.
    depth, end = 0, 0
    for position, character in enumerate(statement):
        if character in "()":
            depth += 1 if character == "(" else -1
            if depth == 0:
                end = position
                if not re.match(r"\s*,", statement[position + 1 :]):
                    break
    main = re.match(rf"\s*{verb}", statement[end + 1 :])
    assert main is not None, statement
    return "WITH " + ", ".join(f"{name} AS ({what})" for name, what in ctes) + f" {main[1]}"


async def reservation_key(shop: Shop, order_id: str) -> str:
    async with shop.commerce.database.session() as session:
        return str(
            await session.scalar(select(OrderRow.reservation_key).where(OrderRow.id == order_id))
        )


class FakeDelivery:
    """A delivery that notes how it was settled."""

    def __init__(self, event: Event) -> None:
        self.event = event
        self.redelivered = False
        self.attempt = 1
        self.settled: list[str] = []

    async def ack(self) -> None:
        self.settled.append("ack")

    async def nack(self, requeue: bool) -> None:
        self.settled.append(f"nack(requeue={requeue})")

    async def retry(self) -> None:
        self.settled.append("retry")


async def three_orders(shop: Shop, token: str, product: str) -> list[dict[str, Any]]:
    """Two orders charged to a good card (1 and 2 units of `product`), then one declined."""
    return [
        await placed_order(shop, token, product, key="a"),
        await placed_order(shop, token, product, 2, key="b"),
        await placed_order(shop, token, product, key="c", number=DECLINED),
    ]


async def placed_deliveries(shop: Shop, orders: Sequence[dict[str, Any]]) -> list[FakeDelivery]:
    """Deliveries of the orders' `order.placed` events, as the payments worker gets them."""
    return [FakeDelivery(await outbox_event(shop, ORDER_PLACED, order["id"])) for order in orders]


async def outcome_events(shop: Shop, orders: Sequence[dict[str, Any]]) -> list[Event]:
    """The outcome events of `three_orders`' payments: two successes, then a failure."""
    kinds = (PAYMENT_SUCCEEDED, PAYMENT_SUCCEEDED, PAYMENT_FAILED)
    return [
        await outbox_event(shop, kind, order["payments"][0]["id"])
        for kind, order in zip(kinds, orders, strict=True)
    ]


async def charged_while_catalog_is_down(shop: Shop, deliveries: Sequence[FakeDelivery]) -> None:
    """The payments worker, by hand, while catalog cannot be reached: it records the
    charges with events that leave the orders' moves to the outcome consumer."""
    down = DownCatalog(shop.commerce.catalog)
    await handle_payments(dataclasses.replace(shop.commerce, catalog=down), deliveries)
    assert [d.settled for d in deliveries] == [["ack"]] * len(deliveries)


async def test_outcomes_of_several_orders_move_each_once_with_one_catalog_call(
    settings: Settings,
) -> None:
    # No payments worker and no order jobs: this test runs both by hand.
    jobs_elsewhere = CommerceSettings(order_jobs="worker")
    async with open_shop(settings, worker=False, commerce=jobs_elsewhere) as shop:
        ann = shop.token("ann")
        lamp = await shop.product(stock=5, price="10.00", name="Lamp")
        first, second, declined = orders = await three_orders(shop, ann, lamp)
        # Three charges recorded, three outcome events left to the outcome consumer.
        await charged_while_catalog_is_down(shop, await placed_deliveries(shop, orders))
        assert (await payment_row(shop, first["payments"][0]["id"])).status == "SUCCEEDED"
        assert (await shop.order(first["id"], ann) or {})["status"] == "PENDING_PAYMENT"
        outcomes = await outcome_events(shop, orders)
        catalog = NotingCatalog(shop.commerce.catalog)
        services = dataclasses.replace(shop.commerce, catalog=catalog)

        # A copy of the first in the same batch, and the whole batch again later.
        with recorded_statements(shop.commerce.database.engine) as statements:
            await apply_payment_outcomes(services, [*outcomes, outcomes[0]])
        await apply_payment_outcomes(services, outcomes)

        assert [
            (await shop.order(order["id"], ann) or {})["status"]
            for order in (first, second, declined)
        ] == ["PAID", "PAID", "PAYMENT_FAILED"]
        # Two units sold and committed, the declined one back on the shelf.
        assert await shop.stock(lamp) == 2
        # One call for the three, none for the copy or the repeated batch.
        keys = [await reservation_key(shop, order["id"]) for order in (first, second, declined)]
        assert catalog.settlements == [(keys[:2], keys[2:])]
        # The statement budget of a batch, whatever its size: on PostgreSQL one statement
        # records the outcomes in the inbox and locks their orders, one more moves the
        # orders and writes their events (with BEGIN and COMMIT, four round trips and the
        # catalog call); SQLite, having no data-modifying CTEs, takes two for each.
        expected = (
            [
                "INSERT INTO inbox",
                "SELECT orders.id, orders.user_id,",
                "UPDATE orders",
                "UPDATE orders",
                "INSERT INTO outbox",
            ]
            if shop.commerce.database.is_sqlite
            else [
                "WITH handled AS (INSERT INTO inbox), outcome AS (SELECT), locked AS (SELECT) "
                "SELECT",
                "WITH moved AS (UPDATE orders) INSERT INTO outbox",
            ]
        )
        assert [_shape(statement) for statement in statements] == expected
        assert await status_changes(shop, first["id"]) == [
            PLACED,
            ("PENDING_PAYMENT", "PAID", "paid"),
        ]
        assert await status_changes(shop, declined["id"]) == [
            PLACED,
            ("PENDING_PAYMENT", "PAYMENT_FAILED", "payment failed: card_declined"),
        ]


async def test_the_payments_worker_moves_the_orders_it_charges_and_their_outcomes_need_nothing(
    settings: Settings,
) -> None:
    jobs_elsewhere = CommerceSettings(order_jobs="worker")
    async with open_shop(settings, worker=False, commerce=jobs_elsewhere) as shop:
        di = shop.token("di")
        jug = await shop.product(stock=5, price="8.00", name="Jug")
        first, second, declined = orders = await three_orders(shop, di, jug)
        catalog = NotingCatalog(shop.commerce.catalog)
        services = dataclasses.replace(shop.commerce, catalog=catalog)
        deliveries = await placed_deliveries(shop, orders)

        await handle_payments(services, deliveries)

        # No outcome consumer ran: the worker moved the orders and settled their stock,
        # the three in one catalog call.
        assert [d.settled for d in deliveries] == [["ack"]] * 3
        assert [
            (await shop.order(order["id"], di) or {})["status"]
            for order in (first, second, declined)
        ] == ["PAID", "PAID", "PAYMENT_FAILED"]
        assert await shop.stock(jug) == 2
        keys = [await reservation_key(shop, order["id"]) for order in (first, second, declined)]
        assert [(sorted(c), r) for c, r in catalog.settlements] == [(sorted(keys[:2]), keys[2:])]
        assert await status_changes(shop, declined["id"]) == [
            PLACED,
            ("PENDING_PAYMENT", "PAYMENT_FAILED", "payment failed: card_declined"),
        ]
        outcomes = await outcome_events(shop, orders)
        assert all(order_moved(outcome) for outcome in outcomes)

        # Their events, relayed, reach the outcome consumer: it has nothing to do.
        with recorded_statements(shop.commerce.database.engine) as statements:
            await apply_payment_outcomes(services, outcomes)
        assert [s for s in statements if "inbox" in s or "orders" in s] == []
        assert len(catalog.settlements) == 1
        assert await status_changes(shop, first["id"]) == [
            PLACED,
            ("PENDING_PAYMENT", "PAID", "paid"),
        ]


async def test_a_batch_of_payments_settles_each_delivery_its_own_way(settings: Settings) -> None:
    async with open_shop(settings, worker=False) as shop:
        bo = shop.token("bo")
        rug = await shop.product(stock=5, price="40.00", name="Rug")
        good = await placed_order(shop, bo, rug, key="good")
        flaky = await placed_order(shop, bo, rug, key="flaky", number=TRANSIENT_TWICE)
        placed_good = await outbox_event(shop, ORDER_PLACED, good["id"])
        placed_flaky = await outbox_event(shop, ORDER_PLACED, flaky["id"])
        unknown = dataclasses.replace(
            placed_good, id=uuid.uuid4(), payload={**placed_good.payload, "paymentId": "nope"}
        )
        malformed = dataclasses.replace(placed_good, id=uuid.uuid4(), payload={})
        deliveries = [
            FakeDelivery(event)
            for event in (placed_good, placed_flaky, unknown, malformed, placed_good)
        ]

        with recorded_statements(shop.commerce.database.engine) as statements:
            await handle_payments(shop.commerce, deliveries)
            again = FakeDelivery(placed_good)
            await handle_payments(shop.commerce, [again])  # a redelivery, later

        # In one transaction: the orders locked, the payments and their events, then the
        # orders moved with theirs; on PostgreSQL a statement each, SQLite having no
        # data-modifying CTEs.
        record = (
            ["UPDATE payments", "INSERT INTO outbox", "UPDATE orders", "INSERT INTO outbox"]
            if shop.commerce.database.is_sqlite
            else [
                "WITH moved AS (UPDATE payments) INSERT INTO outbox",
                "WITH moved AS (UPDATE orders) INSERT INTO outbox",
            ]
        )
        # (The sweeper's statements of the same moments are not the worker's.)
        ours = [
            s
            for s in statements
            if any(name in s for name in ("payments", "outbox", "orders.user_id"))
            or s.startswith("UPDATE orders")
        ]
        assert [_shape(statement) for statement in ours] == [
            "SELECT payments.id, payments.order_id,",
            "SELECT orders.id, orders.user_id,",
            *record,
            "SELECT payments.id, payments.order_id,",  # the redelivery: charged already
        ]
        assert again.settled == ["ack"]
        assert [d.settled for d in deliveries] == [
            ["ack"],
            ["retry"],  # the network could not decide yet
            ["ack"],  # no such payment: nothing to do
            ["nack(requeue=False)"],
            ["ack"],  # a copy of the first: charged once, recorded once
        ]
        good_payment = good["payments"][0]["id"]
        assert (await payment_row(shop, good_payment)).status == "SUCCEEDED"
        assert await charged(shop, good_payment) == (1, "succeeded", False)
        assert (await payment_row(shop, flaky["payments"][0]["id"])).status == "PENDING"
        # The paid order moved with its charge; its event says so.
        assert (await shop.order(good["id"], bo) or {})["status"] == "PAID"
        assert (await shop.order(flaky["id"], bo) or {})["status"] == "PENDING_PAYMENT"
        assert await status_changes(shop, good["id"]) == [
            PLACED,
            ("PENDING_PAYMENT", "PAID", "paid"),
        ]
        assert order_moved(await outbox_event(shop, PAYMENT_SUCCEEDED, good_payment))
        # One event for the payment, whatever the copies and the redelivery.
        async with shop.commerce.database.session() as session:
            written = await session.scalar(
                select(func.count()).where(outbox.c.subject_id == good_payment)
            )
        assert written == 1


async def _handled(shop: Shop, events: Sequence[Event]) -> set[str]:
    """The ids of `events` the outcome consumer's inbox holds."""
    async with shop.commerce.database.session() as session:
        rows = await session.scalars(
            select(inbox.c.event_id).where(
                inbox.c.consumer == OUTCOMES_GROUP,
                inbox.c.event_id.in_([str(event.id) for event in events]),
            )
        )
        return set(rows)


async def test_a_batch_that_fails_half_way_changes_nothing_and_is_applied_when_redelivered(
    settings: Settings,
) -> None:
    jobs_elsewhere = CommerceSettings(order_jobs="worker")
    async with open_shop(settings, worker=False, commerce=jobs_elsewhere) as shop:
        cy = shop.token("cy")
        vase = await shop.product(stock=5, price="12.00", name="Vase")
        paying = await placed_order(shop, cy, vase, key="a")
        declined = await placed_order(shop, cy, vase, 2, key="b", number=DECLINED)
        await charged_while_catalog_is_down(shop, await placed_deliveries(shop, [paying, declined]))
        succeeded = await outbox_event(shop, PAYMENT_SUCCEEDED, paying["payments"][0]["id"])
        failed = await outbox_event(shop, PAYMENT_FAILED, declined["payments"][0]["id"])
        # An outcome naming an order commerce never had: recorded, and nothing moves.
        stray = dataclasses.replace(
            succeeded, id=uuid.uuid4(), payload={**succeeded.payload, "orderId": "no-such-order"}
        )
        batch = [failed, stray, succeeded]
        down = DownCatalog(shop.commerce.catalog)

        with pytest.raises(CatalogUnavailable):
            await apply_payment_outcomes(dataclasses.replace(shop.commerce, catalog=down), batch)

        # The catalog was asked (the orders were locked and decided), then it all rolled back.
        keys = [await reservation_key(shop, order["id"]) for order in (paying, declined)]
        assert down.settlements == [([keys[0]], [keys[1]])]
        assert [
            (await shop.order(order["id"], cy) or {})["status"] for order in (paying, declined)
        ] == ["PENDING_PAYMENT", "PENDING_PAYMENT"]
        assert await status_changes(shop, paying["id"]) == [PLACED]
        assert await status_changes(shop, declined["id"]) == [PLACED]
        assert await _handled(shop, batch) == set()
        assert await shop.stock(vase) == 2  # three units still reserved, none settled

        # The redelivery, with catalog back.
        up = NotingCatalog(shop.commerce.catalog)
        await apply_payment_outcomes(dataclasses.replace(shop.commerce, catalog=up), batch)

        assert up.settlements == [([keys[0]], [keys[1]])]
        assert [
            (await shop.order(order["id"], cy) or {})["status"] for order in (paying, declined)
        ] == ["PAID", "PAYMENT_FAILED"]
        assert await status_changes(shop, paying["id"]) == [
            PLACED,
            ("PENDING_PAYMENT", "PAID", "paid"),
        ]
        assert await status_changes(shop, declined["id"]) == [
            PLACED,
            ("PENDING_PAYMENT", "PAYMENT_FAILED", "payment failed: card_declined"),
        ]
        assert await _handled(shop, batch) == {str(event.id) for event in batch}
        assert await shop.stock(vase) == 4  # one sold, the declined two back
