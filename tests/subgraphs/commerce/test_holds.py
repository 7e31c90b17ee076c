"""Checkout holds: stock reserved by a checkout that wrote no order comes back quickly,
a retry resumes the hold, and a hold the sweeper released is never turned into an order."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from subgraphs.commerce.catalog_client import ReservationSettled
from subgraphs.commerce.checkout import _release_if_orphaned
from subgraphs.commerce.domain import OrderLine
from subgraphs.commerce.holds import (
    Found,
    Hold,
    claim_hold,
    drop_hold,
    order_or_hold,
    release_abandoned_holds,
)
from subgraphs.commerce.models import CheckoutHoldRow, OrderRow, metadata, outbox
from subgraphs.commerce.payments.cards import Card
from subgraphs.commerce.placing import new_order, write_order
from subgraphs.commerce.services import MIGRATIONS, NAME
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.platform.columns import utc_now
from subgraphs.platform.database import Database
from subgraphs.platform.migrations import upgrade
from subgraphs.platform.settings import Settings
from tests.subgraphs.commerce.conftest import SUCCEEDS, Shop, open_shop
from tests.subgraphs.commerce.helpers import (
    delete_product,
    eventually,
    put_in_cart,
    update_line,
    view_cart,
)


async def _holds(shop: Shop) -> int:
    async with shop.commerce.database.session() as session:
        return await session.scalar(select(func.count()).select_from(CheckoutHoldRow)) or 0


async def _events_of(shop: Shop, order_id: str) -> int:
    async with shop.commerce.database.session() as session:
        count = select(func.count()).select_from(outbox).where(outbox.c.subject_id == order_id)
        return await session.scalar(count) or 0


async def _orders(shop: Shop) -> int:
    async with shop.commerce.database.session() as session:
        return await session.scalar(select(func.count()).select_from(OrderRow)) or 0


async def _reserved_without_order(shop: Shop, key: str, product_id: str, quantity: int) -> Hold:
    """What a checkout of ann's leaves when it reserved and wrote no order (it died, or
    catalog's answer never came back): a hold and its reservation."""
    hold = (await order_or_hold(shop.commerce, "ann", key)).hold
    assert hold is not None
    await shop.commerce.catalog.reserve(hold.reservation_key, [(product_id, quantity)])
    return hold


async def test_stock_of_a_checkout_that_died_after_reserving_comes_back_after_the_hold(
    settings: Settings,
) -> None:
    # A hold of 3 s: the state right after the reservation is read well before the sweeper
    # may release it (with 1 s, a CI machine's stall once let it go before the reads).
    async with open_shop(settings, commerce=CommerceSettings(checkout_hold_seconds=3)) as shop:
        lamp = await shop.product(stock=5, name="Lamp")
        await _reserved_without_order(shop, "died", lamp, 2)
        assert (await shop.stock(lamp), await _holds(shop)) == (3, 1)

        async def stock_and_holds() -> tuple[int, int]:
            return await shop.stock(lamp), await _holds(shop)

        # The sweeper releases the stock, then its transaction deletes the hold.
        await eventually(stock_and_holds, lambda seen: seen == (5, 0), seconds=15)

        assert await _orders(shop) == 0
        # The customer tries again with the same key: a new hold, one reservation.
        ann = shop.token("ann")
        await shop.add(ann, lamp, 2)
        placed = await shop.checkout(ann, key="died")
        assert placed["errors"] == []
        assert (await shop.stock(lamp), await _holds(shop), await _orders(shop)) == (3, 0, 1)


async def test_a_retry_resumes_the_hold_of_a_checkout_whose_answer_was_lost(shop: Shop) -> None:
    ann = shop.token("ann")
    rug = await shop.product(stock=5, name="Rug")
    await shop.add(ann, rug, 2)
    hold = await _reserved_without_order(shop, "lost", rug, 2)

    placed = await shop.checkout(ann, key="lost")

    assert placed["errors"] == []
    assert placed["order"]["id"] == hold.reservation_key
    assert (await shop.stock(rug), await _holds(shop), await _orders(shop)) == (3, 0, 1)
    assert (await view_cart(shop, ann))["lines"] == []


async def test_a_hold_released_by_the_sweeper_cannot_be_claimed(settings: Settings) -> None:
    async with open_shop(settings, commerce=CommerceSettings(checkout_hold_seconds=1)) as shop:
        mug = await shop.product(stock=4, name="Mug")
        hold = await _reserved_without_order(shop, "slow", mug, 1)
        await eventually(lambda: _holds(shop), lambda holds: holds == 0, seconds=10)

        async with shop.commerce.database.session() as session:
            claimed = await claim_hold(session, hold)

        assert claimed is False
        assert await shop.stock(mug) == 4
        assert await release_abandoned_holds(shop.commerce) == 0


async def test_a_reservation_reaching_catalog_after_the_sweeper_takes_nothing(
    settings: Settings,
) -> None:
    """Catalog handles the checkout's reserve only after the hold expired and the sweeper
    released its key: the key stays released there, so no stock leaks."""
    async with open_shop(settings, commerce=CommerceSettings(checkout_hold_seconds=1)) as shop:
        vase = await shop.product(stock=4, name="Vase")
        hold = (await order_or_hold(shop.commerce, "ann", "late")).hold
        assert hold is not None
        await eventually(lambda: _holds(shop), lambda holds: holds == 0, seconds=10)

        with pytest.raises(ReservationSettled):
            await shop.commerce.catalog.reserve(hold.reservation_key, [(vase, 1)])
        assert await shop.stock(vase) == 4

        # The customer's retry with the same key takes a new hold and buys.
        ann = shop.token("ann")
        await shop.add(ann, vase, 1)
        placed = await shop.checkout(ann, key="late")
        assert placed["errors"] == []
        assert placed["order"]["id"] != hold.reservation_key
        assert (await shop.stock(vase), await _holds(shop), await _orders(shop)) == (3, 0, 1)


async def test_a_refused_checkout_leaves_no_hold(shop: Shop) -> None:
    ann = shop.token("ann")
    vase = await shop.product(stock=1, name="Vase")
    await shop.add(ann, vase, 1)
    other = shop.token("bob")
    await shop.add(other, vase, 1)
    assert (await shop.checkout(other, key="first"))["errors"] == []

    refused = await shop.checkout(ann, key="second")

    assert [error["code"] for error in refused["errors"]] == ["INSUFFICIENT_STOCK"]
    assert (await _holds(shop), await _orders(shop), await shop.stock(vase)) == (0, 1, 0)


async def test_migrations_create_exactly_the_models(shop: Shop) -> None:
    def differences(connection: object) -> list[object]:
        context = MigrationContext.configure(
            connection,  # type: ignore[arg-type]  # the sync Connection run_sync hands over
        )
        return list(compare_metadata(context, metadata))

    async with shop.commerce.database.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_a_reserving_row_of_the_old_checkout_becomes_an_expired_hold(
    settings: Settings,
) -> None:
    database = Database(settings, NAME)
    started = utc_now() - timedelta(seconds=5)
    try:
        await upgrade(database, MIGRATIONS, "0001")
        async with database.session() as session:
            await session.execute(
                text(
                    "INSERT INTO orders (id, user_id, idempotency_key, status, total_amount, "
                    "currency, reservation_key, current_payment_id, expires_at, created_at, "
                    "updated_at) VALUES ('o-1', 'ann', 'k', 'RESERVING', 0, 'USD', 'o-1', NULL, "
                    ":at, :at, :at)"
                ),
                {"at": started},
            )
        await upgrade(database, MIGRATIONS)
        async with database.session() as session:
            holds = (await session.execute(select(CheckoutHoldRow))).scalars().all()
            orders = await session.scalar(select(func.count()).select_from(OrderRow))
    finally:
        await database.close()

    assert [(h.user_id, h.idempotency_key, h.reservation_key) for h in holds] == [
        ("ann", "k", "o-1")
    ]
    assert holds[0].expires_at == started  # due at once: the next sweep releases it
    assert orders == 0


async def test_a_reservation_whose_hold_a_refused_racer_dropped_is_given_back(shop: Shop) -> None:
    ann = shop.token("ann")
    lamp = await shop.product(stock=5, name="Lamp")
    # This request reserved under the hold; a racing one with the key, refused a moment
    # before the stock came back, dropped the hold: no order, no hold names the reservation.
    orphan = await _reserved_without_order(shop, "raced", lamp, 2)
    await drop_hold(shop.commerce, orphan)
    await _release_if_orphaned(shop.commerce, orphan)
    assert await shop.stock(lamp) == 5

    # When the racing request's order took the reservation, it is kept.
    await shop.add(ann, lamp, 1)
    placed = await shop.checkout(ann, key="won")
    kept = Hold("ann", "won", placed["order"]["id"])
    await _release_if_orphaned(shop.commerce, kept)
    assert await shop.stock(lamp) == 4


async def test_a_cart_catalog_may_not_sell_is_refused_and_changes_nothing(shop: Shop) -> None:
    # Catalog refuses these when asked to reserve (checkout asks it nothing before):
    # the hold is dropped, no stock moves, the cart stays for the customer to fix.
    ann = shop.token("ann")
    kept = await shop.product(stock=5, name="Kept")
    gone = await shop.product(stock=5, name="Gone")
    euros = await shop.product(stock=5, name="Euro thing", currency="EUR")
    await shop.add(ann, kept, 2)
    await shop.add(ann, gone, 1)
    await delete_product(shop, gone)

    deleted = await shop.checkout(ann, key="with-deleted")

    assert [(e["code"], e["field"]) for e in deleted["errors"]] == [("PRODUCT_NOT_FOUND", ["cart"])]
    await update_line(shop, ann, gone, 0)
    await put_in_cart(shop, "ann", euros)  # past the cart's own currency check

    mixed = await shop.checkout(ann, key="mixed")

    assert [(e["code"], e["field"]) for e in mixed["errors"]] == [("CURRENCY_MISMATCH", ["cart"])]
    assert (await _holds(shop), await _orders(shop)) == (0, 0)
    assert (await shop.stock(kept), await shop.stock(euros)) == (5, 5)
    assert [line["quantity"] for line in (await view_cart(shop, ann))["lines"]] == [2, 1]


async def test_a_resumed_hold_of_a_product_deleted_since_is_refused_and_kept(shop: Shop) -> None:
    # Its reservation holds the stock: the hold stays, so a retry or the sweeper
    # gives it back (dropping it would leave the stock held for good).
    ann = shop.token("ann")
    rug = await shop.product(stock=5, name="Rug")
    await shop.add(ann, rug, 2)
    await _reserved_without_order(shop, "lost", rug, 2)
    await delete_product(shop, rug)

    refused = await shop.checkout(ann, key="lost")

    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("PRODUCT_NOT_FOUND", ["cart"])]
    assert (await _holds(shop), await _orders(shop)) == (1, 0)


async def test_a_key_finds_its_hold_until_its_order_is_written_then_the_order(
    shop: Shop,
) -> None:
    first = await order_or_hold(shop.commerce, "ann", "k")
    again = await order_or_hold(shop.commerce, "ann", "k")
    other_user = await order_or_hold(shop.commerce, "bob", "k")
    assert first.order_id is None
    assert first.hold is not None
    assert again == first  # a racing request with the key shares its reservation
    assert other_user.hold is not None
    assert other_user.hold.reservation_key != first.hold.reservation_key

    ann = shop.token("ann")
    vase = await shop.product(stock=2, name="Vase")
    await shop.add(ann, vase, 1)
    placed = await shop.checkout(ann, key="k")
    assert placed["order"]["id"] == first.hold.reservation_key

    # The order now answers the key, and no new hold is written beside it.
    assert await order_or_hold(shop.commerce, "ann", "k") == Found(order_id=placed["order"]["id"])
    assert await _holds(shop) == 1  # bob's


async def test_an_order_is_written_only_on_a_hold_it_claims(shop: Shop) -> None:
    """placing.write_order: a hold that is gone writes nothing; an order that another
    hold of the key wrote first undoes the whole write, its claim of the hold too."""
    ann = shop.token("ann")
    lamp = await shop.product(stock=5, name="Lamp")
    line = OrderLine(lamp, "Lamp", 1, Decimal("10.00"), "USD")
    method = await shop.commerce.payments.tokenize(Card(SUCCEEDS, 12, 2040, "123"))
    gone = (await order_or_hold(shop.commerce, "ann", "gone")).hold
    assert gone is not None
    await drop_hold(shop.commerce, gone)

    written = await write_order(shop.commerce.database, gone, new_order(gone, [line], method, 60))
    assert written is False
    assert (await _orders(shop), await _events_of(shop, gone.reservation_key)) == (0, 0)

    await shop.add(ann, lamp, 1)
    placed = await shop.checkout(ann, key="taken")
    assert placed["errors"] == []
    late = Hold("ann", "taken", "late-reservation")
    async with shop.commerce.database.session() as session:
        now = utc_now()
        session.add(
            CheckoutHoldRow(
                user_id="ann",
                idempotency_key="taken",
                reservation_key=late.reservation_key,
                expires_at=now + timedelta(minutes=1),
                created_at=now,
            )
        )

    with pytest.raises(IntegrityError):
        await write_order(shop.commerce.database, late, new_order(late, [line], method, 60))

    assert (await _holds(shop), await _orders(shop)) == (1, 1)
    assert await _events_of(shop, late.reservation_key) == 0
