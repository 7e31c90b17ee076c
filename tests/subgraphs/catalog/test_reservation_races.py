"""Reservations racing releases on PostgreSQL: a reservation is whole or it is nothing.

The one-statement reservation this replaced judged `stock >= quantity` on the
product row of its statement snapshot while its row lock waited for, and saw, a
release that committed meanwhile: it claimed its key and took no stock. These tests
put a reservation behind an uncommitted release, and race many of both.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import orjson
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.catalog import reservations
from subgraphs.catalog.models import ProductRow, ReservationKeyRow, ReservationRow, outbox
from subgraphs.catalog.reservations import Reservation, ReservationLine
from subgraphs.platform.errors import DomainError
from tests.statements import recorded_statements
from tests.subgraphs.catalog.conftest import CatalogSubgraph

pytestmark = pytest.mark.parametrize("backend", ["postgres"])  # row locks and snapshots

WAITING_FOR_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))"
)


async def blocked_by(watcher: AsyncConnection, holder: int, what: str) -> None:
    """Returns once a session waits for a lock that session `holder` holds."""
    for _ in range(6000):  # a minute: a busy machine starts tasks slowly
        if await watcher.scalar(WAITING_FOR_LOCK, {"holder": holder}):
            return
        await asyncio.sleep(0.01)  # polls the lock wait
    raise AssertionError(f"the reservation never waited for {what}")


def _whole(reservation: Reservation) -> tuple[str, str, tuple[ReservationLine, ...]]:
    """A reservation without the products it answers with (names and prices)."""
    return reservation.order_id, reservation.status, reservation.lines


async def test_a_reservation_waiting_on_a_release_takes_the_released_units(
    catalog: CatalogSubgraph,
) -> None:
    product = (await catalog.create(stock=1))["product"]["id"]
    database = catalog.services.database
    await reservations.reserve(catalog.services, "first", [ReservationLine(product, 1)])
    await catalog.indexed()
    async with database.engine.connect() as releasing, database.engine.connect() as watching:
        watcher = await watching.execution_options(isolation_level="AUTOCOMMIT")
        # A release in flight: it has put the unit back and holds the row until COMMIT.
        await releasing.execute(
            text("UPDATE products SET stock = stock + 1 WHERE id = :id"), {"id": product}
        )
        holder = await releasing.scalar(text("SELECT pg_backend_pid()"))
        with recorded_statements(database.engine) as statements:
            reserving = asyncio.create_task(
                reservations.reserve(catalog.services, "second", [ReservationLine(product, 1)])
            )
            # The reservation began (and took its snapshot) before the release commits.
            await blocked_by(watcher, holder, "the release")
            await releasing.commit()
            reserved = await reserving

    assert _whole(reserved) == ("second", "RESERVED", (ReservationLine(product, 1),))
    # One round trip reserves: no retry of a half reservation. (The lock watch and the
    # search indexer, woken by the first reservation, run meanwhile; the products'
    # names and prices are read before, with no lock.)
    reserving_statements = [s.split("(")[0] for s in statements if "reserv" in s]
    assert reserving_statements == ["SELECT * FROM reserve_stock"]
    async with database.session() as session:
        stock = await session.scalar(select(ProductRow.stock).where(ProductRow.id == product))
        lines = (
            await session.execute(
                select(ReservationRow.product_id, ReservationRow.quantity).where(
                    ReservationRow.order_id == "second"
                )
            )
        ).all()
        events = (
            await session.scalars(select(outbox.c.payload).where(outbox.c.type == "stock.changed"))
        ).all()
    assert stock == 0
    assert lines == [(product, 1)]
    assert {"stock": 0, "delta": -1, "reason": "reserved", "orderId": "second"} in [
        orjson.loads(payload) for payload in events
    ]


async def test_a_reservation_never_deadlocks_with_a_settlement_of_its_key(
    catalog: CatalogSubgraph,
) -> None:
    # Racing checkouts of one idempotency key reserve a key while one of them
    # releases it. A settlement locks the key's row, then the products; a
    # reservation that locked the products first, then waited for the key's row,
    # made a cycle (seen in CI as "deadlock detected" in reserveStock).
    product = (await catalog.create(stock=2))["product"]["id"]
    database = catalog.services.database
    await reservations.reserve(catalog.services, "shared", [ReservationLine(product, 1)])
    async with database.engine.connect() as settling, database.engine.connect() as watching:
        watcher = await watching.execution_options(isolation_level="AUTOCOMMIT")
        # A settlement in flight, at its first step: it holds the key's row.
        await settling.execute(
            text("UPDATE reservation_keys SET updated_at = now() WHERE order_id = 'shared'")
        )
        holder = await settling.scalar(text("SELECT pg_backend_pid()"))
        reserving = asyncio.create_task(
            reservations.reserve(catalog.services, "shared", [ReservationLine(product, 1)])
        )
        await blocked_by(watcher, holder, "the settlement")
        # Its next step: the products. The waiting reservation must not hold them.
        await asyncio.wait_for(
            settling.execute(
                text("SELECT FROM products WHERE id = :id FOR UPDATE"), {"id": product}
            ),
            timeout=30,
        )
        await settling.commit()
        reserved = await reserving

    assert _whole(reserved) == ("shared", "RESERVED", (ReservationLine(product, 1),))
    async with database.session() as session:
        stock = await session.scalar(select(ProductRow.stock).where(ProductRow.id == product))
    assert stock == 1  # taken once, by the first reservation


async def test_reservations_racing_releases_are_whole_or_nothing(
    catalog: CatalogSubgraph,
) -> None:
    stock = 4
    products = sorted([(await catalog.create(stock=stock))["product"]["id"] for _ in range(3)])
    rng = random.Random(16)
    asked: dict[str, Counter[str]] = {}
    refusals: list[str] = []

    async def reserve(key: str) -> None:
        lines = [ReservationLine(p, rng.randint(1, 2)) for p in rng.sample(products, 2)]
        asked[key] = Counter({line.product_id: line.quantity for line in lines})
        try:
            await reservations.reserve(catalog.services, key, lines)
        except DomainError as refused:
            refusals.append(refused.code)

    async def reserve_then_release(key: str) -> None:
        await reserve(key)
        await reservations.release(catalog.services, key)

    for round_ in range(10):
        keys = [f"r{round_}-{n}" for n in range(40)]
        await asyncio.gather(
            *(reserve_then_release(key) if n % 2 else reserve(key) for n, key in enumerate(keys))
        )
        # Put every unit back for the next round, as checkouts given up would.
        for key in keys:
            await reservations.release(catalog.services, key)

    async with catalog.services.database.session() as session:
        left = dict((await session.execute(select(ProductRow.id, ProductRow.stock))).all())
        keys_of = dict(
            (
                await session.execute(select(ReservationKeyRow.order_id, ReservationKeyRow.status))
            ).all()
        )
        taken: dict[str, Counter[str]] = {}
        for key, product_id, quantity in await session.execute(
            select(ReservationRow.order_id, ReservationRow.product_id, ReservationRow.quantity)
        ):
            taken.setdefault(key, Counter())[product_id] = quantity
    # Every reservation that claimed its key holds every line it asked for.
    reserved = [key for key in taken]
    assert reserved, "no reservation went through: the race tested nothing"
    assert {key: taken[key] for key in reserved} == {key: asked[key] for key in reserved}
    assert set(keys_of.values()) == {"RELEASED"}
    assert refusals, "no reservation was refused: the race tested nothing"
    assert set(refusals) == {"INSUFFICIENT_STOCK"}
    assert left == dict.fromkeys(products, stock)
