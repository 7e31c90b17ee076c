"""Commerce on the production backends (PostgreSQL, Redis, RabbitMQ), and the faults a
broker brings: an outage during checkout, a worker killed mid-payment, a duplicate event.

RabbitMQ outages are made by cutting a TCP proxy between shopgraph and the real
broker (stopping the machine's broker would stop it for everything else too);
to the client the two look the same: connections reset, new ones refused.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

import orjson
import pytest
from sqlalchemy import func, select

from shopgraph.loopback import free_port, served
from subgraphs.commerce import background
from subgraphs.commerce.app import create_app as create_commerce
from subgraphs.commerce.background import apply_payment_outcomes, running_order_jobs
from subgraphs.commerce.events import ORDER_PLACED, PAYMENT_SUCCEEDED, STATUS_CHANGED
from subgraphs.commerce.models import outbox
from subgraphs.commerce.payments import worker as payments_worker
from subgraphs.commerce.payments.cards import Card
from subgraphs.commerce.payments.provider import ChargeOutcome, PaymentMethod, PaymentProvider
from subgraphs.commerce.payments.worker import (
    handle_payments,
    running_payments_worker,
)
from subgraphs.commerce.services import CommerceServices
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.platform.events import Delivery, Event, event_of_row
from subgraphs.platform.events.rabbitmq import RabbitMQBus
from subgraphs.platform.settings import Settings
from tests.proxy import TcpProxy
from tests.rabbitmq import SHORT_RETRY_DELAYS, on_production_backends
from tests.subgraphs.commerce.conftest import (
    DECLINED,
    SUCCEEDS,
    TRANSIENT_TWICE,
    Shop,
    card,
    open_shop,
)
from tests.subgraphs.commerce.helpers import DownCatalog, charged, eventually
from tests.websocket import subscribe

pytestmark = pytest.mark.parametrize("backend", ["postgres"])


@pytest.fixture
async def production(
    settings: Settings, redis_url: str, rabbitmq_url: str
) -> AsyncIterator[Settings]:
    """Settings on PostgreSQL, Redis and RabbitMQ, with fresh queues and short retries."""
    async with on_production_backends(settings, redis_url, rabbitmq_url) as production:
        yield production


async def _statuses_until(shop: Shop, order_id: str, token: str, final: str) -> list[str]:
    url = shop.commerce_url.replace("http", "ws", 1)
    query = "subscription S($id: ID!) { orderStatusChanged(orderId: $id) { status } }"
    seen: list[str] = []
    async with subscribe(url, query, {"id": order_id}, token=token) as payloads:
        async for payload in payloads:
            seen.append(payload["data"]["orderStatusChanged"]["status"])
            if seen[-1] == final:
                break
    return seen


async def test_pay_fail_and_retry_on_the_production_backends(production: Settings) -> None:
    async with open_shop(production) as shop:
        ivy = shop.token("ivy")
        kettle = await shop.product(stock=6, price="19.90", name="Kettle")
        cups = await shop.product(stock=8, price="3.50", name="Cups")
        await shop.add(ivy, kettle, 1)
        await shop.add(ivy, cups, 4)

        paid = await shop.checkout(ivy, key="ivy-1", number=SUCCEEDS)
        assert paid["errors"] == []
        assert paid["order"]["total"] == {"amount": "33.90", "currency": "USD"}
        order_id = paid["order"]["id"]
        assert (await _statuses_until(shop, order_id, ivy, "PAID"))[-1] == "PAID"
        assert (await shop.order(order_id, ivy) or {})["status"] == "PAID"
        assert (await shop.stock(kettle), await shop.stock(cups)) == (5, 4)

        await shop.add(ivy, kettle, 2)
        failed = await shop.checkout(ivy, key="ivy-2", number=DECLINED)
        failed_id = failed["order"]["id"]
        assert (await _statuses_until(shop, failed_id, ivy, "PAYMENT_FAILED"))[-1] == (
            "PAYMENT_FAILED"
        )
        assert await shop.stock(kettle) == 5

        retried = await shop.query(
            "mutation R($id: ID!, $card: PaymentMethodInput!) { retryPayment(orderId: $id, "
            "paymentMethod: $card) { order { status } errors { code } } }",
            {"id": failed_id, "card": card(SUCCEEDS)},
            ivy,
        )
        assert retried["data"]["retryPayment"] == {
            "order": {"status": "PENDING_PAYMENT"},
            "errors": [],
        }
        assert (await _statuses_until(shop, failed_id, ivy, "PAID"))[-1] == "PAID"
        assert await shop.stock(kettle) == 3


async def test_checkout_succeeds_while_rabbitmq_is_down(
    production: Settings, rabbitmq_url: str
) -> None:
    async with TcpProxy("127.0.0.1", 5672) as proxy:
        through_proxy = production.model_copy(
            update={"amqp_url": f"amqp://guest:guest@127.0.0.1:{proxy.port}/"}
        )
        async with open_shop(through_proxy) as shop:
            jo = shop.token("jo")
            lamp = await shop.product(stock=2, name="Lamp")
            await shop.add(jo, lamp, 1)

            await proxy.cut()
            placed = await shop.checkout(jo, number=SUCCEEDS)

            assert placed["errors"] == []
            order_id = placed["order"]["id"]
            # The relay tried, and failed, to publish the order: the outbox counts it.
            # Noticing the cut takes the bus's timeouts: 30 s is a guard for a busy machine.
            await eventually(
                lambda: _failed_publishes(shop, order_id), lambda tries: tries > 0, seconds=30
            )
            assert (await shop.order(order_id, jo) or {})["status"] == "PENDING_PAYMENT"
            assert await _unsent_events(shop) >= 1

            await proxy.restore()
            # Reconnecting, re-declaring and relaying take a few of the bus's timeouts.
            settled = await shop.settled(order_id, jo, within=40)

            assert settled["status"] == "PAID"
            # PAID's own status event is written as the order turns PAID, and relayed
            # after: a relay still backing off from the outage takes up to its interval.
            unsent = await eventually(lambda: _unsent_events(shop), lambda n: n == 0, seconds=10)
            assert unsent == 0
            assert await shop.stock(lamp) == 1


async def test_orders_placed_before_the_workers_ever_ran_are_paid_once_they_run(
    production: Settings,
) -> None:
    # A first deploy: commerce takes orders before the payments and orders workers
    # (processes of their own) have ever run. The fixture deleted every queue.
    elsewhere = CommerceSettings(order_jobs="worker")
    async with open_shop(production, worker=False, commerce=elsewhere) as shop:
        ivy = shop.token("ivy")
        lamp = await shop.product(stock=3, name="Lamp")
        await shop.add(ivy, lamp, 1)
        order_id = (await shop.checkout(ivy, key="ivy-1"))["order"]["id"]
        await eventually(lambda: _sent_events(shop, ORDER_PLACED), lambda n: n == 1)

        # Catalog out of the payments worker's reach, so it leaves the order's move to the
        # orders worker, as it does whenever it cannot make it itself.
        down = DownCatalog(shop.commerce.catalog)
        async with running_payments_worker(dataclasses.replace(shop.commerce, catalog=down)):
            # Charged, and its outcome relayed while no orders worker has ever run.
            await eventually(lambda: _sent_events(shop, PAYMENT_SUCCEEDED), lambda n: n == 1)
            assert (await shop.order(order_id, ivy) or {})["status"] == "PENDING_PAYMENT"
            async with running_order_jobs(shop.commerce):
                settled = await shop.settled(order_id, ivy)

        assert settled["status"] == "PAID"
        assert await shop.stock(lamp) == 2


async def _sent_events(shop: Shop, event_type: str) -> int:
    """How many events of `event_type` the relay has published (the broker confirmed)."""
    async with shop.commerce.database.session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.type == event_type, outbox.c.sent_at.is_not(None))
        )
    return count or 0


async def _failed_publishes(shop: Shop, subject_id: str) -> int:
    """How many times the relay failed to publish the unsent events about `subject_id`."""
    async with shop.commerce.database.session() as session:
        attempts = await session.scalar(
            select(func.max(outbox.c.attempts)).where(
                outbox.c.subject_id == subject_id, outbox.c.sent_at.is_(None)
            )
        )
    return int(attempts or 0)


async def _unsent_events(shop: Shop) -> int:
    async with shop.commerce.database.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        )
    return count or 0


class DiesAfterCharging:
    """A provider that charges, then takes the worker's broker connection down with it,
    before the worker can record the outcome or acknowledge: a kill at the worst moment."""

    def __init__(self, provider: PaymentProvider, bus: RabbitMQBus) -> None:
        self._provider = provider
        self._bus = bus
        self.charged = asyncio.Event()

    async def tokenize(self, card: Card) -> PaymentMethod:
        return await self._provider.tokenize(card)

    async def charge(
        self, payment_id: str, token: str, amount: Decimal, currency: str
    ) -> ChargeOutcome:
        await self._provider.charge(payment_id, token, amount, currency)
        self.charged.set()
        await self._bus.close()
        raise ConnectionAbortedError("the worker died after charging")

    async def refund(self, payment_id: str) -> None:
        await self._provider.refund(payment_id)


async def test_a_worker_killed_between_charge_and_ack_charges_once(production: Settings) -> None:
    async with open_shop(production, worker=False) as shop:
        kim = shop.token("kim")
        desk = await shop.product(stock=3, price="120.00", name="Desk")
        await shop.add(kim, desk, 1)

        doomed_bus = RabbitMQBus(production.amqp_url or "", retry_delays=SHORT_RETRY_DELAYS)
        await doomed_bus.start()
        dying = DiesAfterCharging(shop.commerce.payments, doomed_bus)
        doomed = dataclasses.replace(shop.commerce, payments=dying, bus=doomed_bus)
        async with running_payments_worker(doomed, concurrency=1):
            placed = await shop.checkout(kim, number=SUCCEEDS)
            await asyncio.wait_for(dying.charged.wait(), 15)
        order_id = placed["order"]["id"]
        assert (await shop.order(order_id, kim) or {})["status"] == "PENDING_PAYMENT"

        async with running_payments_worker(shop.commerce):
            settled = await shop.settled(order_id, kim)

        assert settled["status"] == "PAID"
        [payment] = settled["payments"]
        assert payment["status"] == "SUCCEEDED"
        # One charge on the card: the redelivery found the first outcome.
        assert await charged(shop, payment["id"]) == (1, "succeeded", False)
        assert await shop.stock(desk) == 2


async def test_a_duplicate_payment_event_changes_the_order_once(
    production: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    handled: list[uuid.UUID] = []

    async def counted(services: CommerceServices, events: Sequence[Event]) -> None:
        await apply_payment_outcomes(services, events)
        handled.extend(event.id for event in events)

    # The consumer looks the handler up on each batch: count what reaches it (the two
    # copies may come in one batch or in two).
    monkeypatch.setattr(background, "apply_payment_outcomes", counted)
    async with open_shop(production) as shop:
        lu = shop.token("lu")
        rug = await shop.product(stock=2, name="Rug")
        await shop.add(lu, rug, 1)
        order_id = (await shop.checkout(lu, number=SUCCEEDS))["order"]["id"]
        assert (await shop.settled(order_id, lu))["status"] == "PAID"
        succeeded = await _outbox_event(shop, PAYMENT_SUCCEEDED)

        await shop.commerce.bus.publish([succeeded, succeeded])
        for _ in range(200):  # the original and both copies went through the consumer
            if handled.count(succeeded.id) == 3:
                break
            await asyncio.sleep(0.05)

        assert handled.count(succeeded.id) == 3
        assert await _status_changes(shop, order_id) == ["PENDING_PAYMENT", "PAID"]
        assert (await shop.order(order_id, lu) or {})["status"] == "PAID"
        assert await shop.stock(rug) == 1


async def test_copies_of_a_placed_order_handled_at_once_charge_it_once(
    production: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    handled: list[uuid.UUID] = []

    async def counted(services: CommerceServices, deliveries: Sequence[Delivery]) -> None:
        await handle_payments(services, deliveries)
        handled.extend(delivery.event.id for delivery in deliveries)

    # The copies may come in one batch or in several.
    monkeypatch.setattr(payments_worker, "handle_payments", counted)
    async with open_shop(production, worker=False) as shop:
        mo = shop.token("mo")
        lamp = await shop.product(stock=2, price="15.00", name="Lamp")
        await shop.add(mo, lamp, 1)
        order_id = (await shop.checkout(mo, number=SUCCEEDS))["order"]["id"]
        placed = await _outbox_event(shop, ORDER_PLACED)
        # Four deliveries of one order.placed: the relayed one (in the payments queue
        # commerce declared as it opened) and three copies, waiting when the worker starts.
        await shop.commerce.bus.publish([placed, placed, placed])
        async with running_payments_worker(shop.commerce, concurrency=8):
            for _ in range(300):
                if handled.count(placed.id) == 4:
                    break
                await asyncio.sleep(0.05)
            settled = await shop.settled(order_id, mo)

        assert handled.count(placed.id) == 4
        # The copies met on the simulator's ledger row; none failed and went round again.
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
        assert settled["status"] == "PAID"
        [payment] = settled["payments"]
        assert await charged(shop, payment["id"]) == (1, "succeeded", False)
        async with shop.commerce.database.session() as session:
            outcomes = await session.scalar(
                select(func.count()).where(
                    outbox.c.type == PAYMENT_SUCCEEDED, outbox.c.subject_id == payment["id"]
                )
            )
        assert outcomes == 1
        assert await _status_changes(shop, order_id) == ["PENDING_PAYMENT", "PAID"]


async def _outbox_event(shop: Shop, event_type: str) -> Event:
    async with shop.commerce.database.session() as session:
        row = (await session.execute(select(outbox).where(outbox.c.type == event_type))).one()
    return event_of_row(row)


async def _status_changes(shop: Shop, order_id: str) -> list[str]:
    async with shop.commerce.database.session() as session:
        payloads = await session.scalars(
            select(outbox.c.payload)
            .where(outbox.c.type == STATUS_CHANGED, outbox.c.subject_id == order_id)
            .order_by(outbox.c.created_at)
        )
        return [orjson.loads(payload)["to"] for payload in payloads]


async def test_any_replica_delivers_any_orders_change(production: Settings) -> None:
    """A subscriber on one commerce process hears a change made by another, through Redis."""
    async with open_shop(production, worker=False) as shop:
        mo = shop.token("mo")
        vase = await shop.product(stock=2, name="Vase")
        await shop.add(mo, vase, 1)
        order_id = (await shop.checkout(mo, number=SUCCEEDS))["order"]["id"]
        port = free_port()
        # A second commerce process: its own platform, so its own Redis pub/sub client.
        async with served(create_commerce(production), port) as replica:
            url = f"{replica}/graphql".replace("http", "ws", 1)
            query = "subscription S($id: ID!) { orderStatusChanged(orderId: $id) { status } }"
            async with subscribe(url, query, {"id": order_id}, token=mo) as payloads:
                first = await anext(payloads)
                cancelled = await shop.query(
                    "mutation C($id: ID!) { cancelOrder(id: $id) { order { status } } }",
                    {"id": order_id},
                    mo,
                )
                second = await anext(payloads)

        assert cancelled["data"]["cancelOrder"] == {"order": {"status": "CANCELLED"}}
        assert [first["data"], second["data"]] == [
            {"orderStatusChanged": {"status": "PENDING_PAYMENT"}},
            {"orderStatusChanged": {"status": "CANCELLED"}},
        ]
        assert await shop.stock(vase) == 2


async def test_a_transient_failure_is_retried_through_the_delay_queues(
    production: Settings,
) -> None:
    async with open_shop(production) as shop:
        ola = shop.token("ola")
        clock = await shop.product(stock=2, name="Clock")
        await shop.add(ola, clock, 1)

        order_id = (await shop.checkout(ola, number=TRANSIENT_TWICE))["order"]["id"]
        settled = await shop.settled(order_id, ola)

        assert settled["status"] == "PAID"
        [payment] = settled["payments"]
        # Two timeouts, each retried after a delay queue's TTL, then the charge.
        assert await charged(shop, payment["id"]) == (3, "succeeded", False)
        assert await shop.stock(clock) == 1
