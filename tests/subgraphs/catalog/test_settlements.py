"""Settling many reservations at once (the orders worker's batches): each key moves as
commit or release moves it, in one call, without deadlocking other settlements or
reservations."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.catalog import reservations
from subgraphs.catalog.models import outbox
from subgraphs.catalog.reservations import ReservationLine
from tests.subgraphs.catalog.conftest import CatalogSubgraph

STOCK = "query S($id: ID!) { product(id: $id) { stock inStock } }"


async def _stock(catalog: CatalogSubgraph, product_id: str) -> int:
    return int((await catalog.query(STOCK, {"id": product_id}))["data"]["product"]["stock"])


SETTLE = """
mutation S($commits: [ID!]!, $releases: [ID!]!) {
  settleStock(commits: $commits, releases: $releases) { settled errors { code } }
}"""


async def test_many_settled_at_once_as_one_by_one(catalog: CatalogSubgraph) -> None:
    """The batch settlement moves each key as commit or release would: only from
    RESERVED, an unknown key written settled, every released line back on the shelf
    with its own stock.changed event, and again changes nothing."""
    lamp = (await catalog.create(stock=10))["product"]["id"]
    rug = (await catalog.create(stock=10))["product"]["id"]
    await reservations.reserve(catalog.services, "paid", [ReservationLine(lamp, 2)])
    await reservations.reserve(
        catalog.services, "failed-1", [ReservationLine(lamp, 1), ReservationLine(rug, 3)]
    )
    await reservations.reserve(catalog.services, "failed-2", [ReservationLine(lamp, 4)])
    await reservations.commit(catalog.services, "sold-before")
    assert (await _stock(catalog, lamp), await _stock(catalog, rug)) == (3, 7)

    for _ in range(2):
        settled = await reservations.settle_many(
            catalog.services, ["paid", "sold-before"], ["failed-1", "failed-2", "unknown"]
        )
        assert settled == 5
        assert (await _stock(catalog, lamp), await _stock(catalog, rug)) == (8, 10)

    statuses = {
        key: (await reservations.get_reservation(catalog.services, key))
        for key in ("paid", "sold-before", "failed-1", "failed-2", "unknown")
    }
    assert {key: r.status for key, r in statuses.items() if r is not None} == {
        "paid": "COMMITTED",
        "sold-before": "COMMITTED",
        "failed-1": "RELEASED",
        "failed-2": "RELEASED",
        "unknown": "RELEASED",
    }
    # A late reservation under a key settled unknown takes nothing.
    await reservations.reserve(catalog.services, "unknown", [ReservationLine(lamp, 1)])
    assert await _stock(catalog, lamp) == 8
    async with catalog.services.database.session() as session:
        rows = (await session.execute(select(outbox).where(outbox.c.type == "stock.changed"))).all()
    released = sorted(
        (orjson.loads(r.payload) | {"product": r.subject_id} for r in rows),
        key=lambda change: (change["orderId"], change["product"]),
    )
    released = [change for change in released if change["reason"] == "released"]
    # Each event tells the stock right after its own change (the lamp went back twice).
    lamp_after = {
        change["orderId"]: change["stock"] for change in released if change["product"] == lamp
    }
    assert sorted(lamp_after.values()) == [4, 8]
    assert [(c["orderId"], c["product"], c["delta"]) for c in released] == sorted(
        [("failed-1", lamp, 1), ("failed-1", rug, 3), ("failed-2", lamp, 4)]
    )


async def test_a_settlement_through_the_internal_api(catalog: CatalogSubgraph) -> None:
    product = (await catalog.create(stock=5))["product"]["id"]
    await reservations.reserve(catalog.services, "s-1", [ReservationLine(product, 2)])
    await reservations.reserve(catalog.services, "s-2", [ReservationLine(product, 1)])
    variables = {"commits": ["s-1"], "releases": ["s-2"]}
    body = await catalog.internal(SETTLE, variables)
    assert body["data"]["settleStock"] == {"settled": 2, "errors": []}
    assert await _stock(catalog, product) == 3

    # A key both ways is refused, and changes nothing.
    await reservations.reserve(catalog.services, "s-3", [ReservationLine(product, 1)])
    both = await catalog.internal(SETTLE, {"commits": ["s-3"], "releases": ["s-3"]})
    assert both["data"]["settleStock"]["errors"] == [{"code": "INVALID_QUANTITY"}]
    assert await _stock(catalog, product) == 2
    refused = await catalog.query(SETTLE, variables, catalog.staff_token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_batch_settlements_racing_reservations_never_deadlock(
    catalog: CatalogSubgraph,
) -> None:
    """Batches naming their keys in opposite orders, and reservations of the same
    products, all at once: every one completes and the stock adds up."""
    products = [(await catalog.create(stock=1000))["product"]["id"] for _ in range(3)]
    lines = [ReservationLine(product, 1) for product in products]
    keys = [f"k-{n}" for n in range(40)]
    for key in keys:
        await reservations.reserve(catalog.services, key, lines)

    async def reserve(n: int) -> None:
        await reservations.reserve(catalog.services, f"new-{n}", list(reversed(lines)))

    await asyncio.gather(
        reservations.settle_many(catalog.services, [], keys[:30]),
        reservations.settle_many(catalog.services, [], list(reversed(keys[10:]))),
        *(reserve(n) for n in range(10)),
    )
    for product in products:
        # 40 reserved, all released; 10 new reservations hold one unit each.
        assert await _stock(catalog, product) == 990


@pytest.mark.parametrize("backend", ["postgres"])  # PL/pgSQL plans
async def test_a_batch_settlement_reads_lines_by_key_without_statistics(
    catalog: CatalogSubgraph,
) -> None:
    """On a table ANALYZE never saw (autovacuum off), settle_reservations() still finds
    a batch's lines through the primary key: reading the whole table each time made
    every settlement slower as reservations piled up (migration 0006)."""
    product = (await catalog.create(stock=1000))["product"]["id"]
    keys = [f"s-{n:02d}" for n in range(60)]
    for key in keys:
        await reservations.reserve(catalog.services, key, [ReservationLine(product, 1)])

    async with catalog.services.database.engine.connect() as connection:
        # A transaction of its own, rolled back. PostgreSQL 15's pg_stat_xact_* views also
        # count what earlier transactions of the same (pooled) backend did until its
        # stats are flushed, about once a second: the settlements' scans are a difference.
        before = await _reservation_scans(connection)
        for batch in (keys[:6], keys[6:12]):
            released = await connection.scalar(
                text("SELECT settle_reservations(:keys, :outcomes, now(), 'stock.changed')"),
                {"keys": batch, "outcomes": ["COMMITTED"] * 5 + ["RELEASED"]},
            )
            assert released is True
        after = await _reservation_scans(connection)
        await connection.rollback()
    assert (after[0] - before[0], after[1] > before[1]) == (0, True)


async def _reservation_scans(connection: AsyncConnection) -> tuple[int, int]:
    """Sequential and index scans of `reservations` this backend has not reported yet."""
    scans = (
        await connection.execute(
            text(
                "SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables"
                " WHERE schemaname = current_schema() AND relname = 'reservations'"
            )
        )
    ).one()
    return scans.seq_scan, scans.idx_scan
