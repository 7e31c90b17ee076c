"""Stock reservations: no oversell under concurrency, idempotent per order, internal only."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from sqlalchemy import select

from subgraphs.catalog import reservations
from subgraphs.catalog.models import outbox
from subgraphs.catalog.reservations import ReservationLine
from subgraphs.platform.errors import DomainError
from tests.subgraphs.catalog.conftest import CatalogSubgraph

STOCK = "query S($id: ID!) { product(id: $id) { stock inStock } }"
RESERVE = """
mutation R($orderId: ID!, $lines: [ReservationLineInput!]!) {
  reserveStock(orderId: $orderId, lines: $lines) {
    reservation { orderId status lines { productId quantity } }
    errors { code }
  }
}"""
RELEASE = "mutation L($orderId: ID!) { releaseStock(orderId: $orderId) { reservation { status } errors { code } } }"
COMMIT = "mutation C($orderId: ID!) { commitStock(orderId: $orderId) { reservation { status } errors { code } } }"


async def _stock(catalog: CatalogSubgraph, product_id: str) -> int:
    return int((await catalog.query(STOCK, {"id": product_id}))["data"]["product"]["stock"])


async def test_fifty_buyers_for_ten_units(catalog: CatalogSubgraph) -> None:
    product = (await catalog.create(stock=10))["product"]["id"]

    async def buy(n: int) -> str:
        try:
            await reservations.reserve(
                catalog.services, f"order-{n}", [ReservationLine(product, 1)]
            )
        except DomainError as error:
            return error.code
        return "RESERVED"

    outcomes = await asyncio.gather(*(buy(n) for n in range(50)))
    assert sorted(set(outcomes)) == ["INSUFFICIENT_STOCK", "RESERVED"]
    assert outcomes.count("RESERVED") == 10
    assert await _stock(catalog, product) == 0


async def test_the_same_order_reserved_twice_decrements_once(catalog: CatalogSubgraph) -> None:
    product = (await catalog.create(stock=10))["product"]["id"]
    lines = [ReservationLine(product, 3)]
    results = await asyncio.gather(
        *(reservations.reserve(catalog.services, "order-1", lines) for _ in range(10))
    )
    assert {r.status for r in results} == {"RESERVED"}
    assert await _stock(catalog, product) == 7
    again = await reservations.reserve(catalog.services, "order-1", lines)
    assert again.lines == (ReservationLine(product, 3),)
    assert await _stock(catalog, product) == 7


async def test_all_or_nothing(catalog: CatalogSubgraph) -> None:
    plenty = (await catalog.create(stock=10))["product"]["id"]
    scarce = (await catalog.create(stock=1))["product"]["id"]
    with pytest.raises(DomainError) as refused:
        await reservations.reserve(
            catalog.services, "order-2", [ReservationLine(plenty, 4), ReservationLine(scarce, 2)]
        )
    assert refused.value.code == "INSUFFICIENT_STOCK"
    assert (await _stock(catalog, plenty), await _stock(catalog, scarce)) == (10, 1)
    assert await reservations.get_reservation(catalog.services, "order-2") is None


async def test_release_and_commit_are_idempotent(catalog: CatalogSubgraph) -> None:
    product = (await catalog.create(stock=5))["product"]["id"]
    await reservations.reserve(catalog.services, "a", [ReservationLine(product, 2)])
    await reservations.reserve(catalog.services, "b", [ReservationLine(product, 1)])
    assert await _stock(catalog, product) == 2

    for _ in range(3):
        released = await reservations.release(catalog.services, "a")
        assert released is not None
        assert released.status == "RELEASED"
    assert await _stock(catalog, product) == 4

    for _ in range(3):
        committed = await reservations.commit(catalog.services, "b")
        assert committed is not None
        assert committed.status == "COMMITTED"
    # A committed order's units are sold: releasing it later changes nothing.
    await reservations.release(catalog.services, "b")
    assert await _stock(catalog, product) == 4


async def test_a_reservation_after_its_release_takes_nothing(catalog: CatalogSubgraph) -> None:
    """The checkout's reserve reached catalog after the sweeper released its key: the
    key stays released, so no stock is taken that nobody would ever give back."""
    product = (await catalog.create(stock=5))["product"]["id"]
    released = await reservations.release(catalog.services, "late")
    assert released == reservations.Reservation("late", "RELEASED", ())
    late = await reservations.reserve(catalog.services, "late", [ReservationLine(product, 2)])
    assert late == reservations.Reservation("late", "RELEASED", ())
    assert await _stock(catalog, product) == 5
    assert await reservations.commit(catalog.services, "late") == released


async def test_a_release_racing_its_reservation_leaves_the_stock_whole(
    catalog: CatalogSubgraph,
) -> None:
    product = (await catalog.create(stock=100))["product"]["id"]
    line = [ReservationLine(product, 1)]
    for n in range(20):
        await asyncio.gather(
            reservations.reserve(catalog.services, f"race-{n}", line),
            reservations.release(catalog.services, f"race-{n}"),
        )
        settled = await reservations.get_reservation(catalog.services, f"race-{n}")
        assert settled is not None
        assert settled.status == "RELEASED"
    assert await _stock(catalog, product) == 100


async def test_the_same_key_racing_for_the_last_units_is_one_reservation(
    catalog: CatalogSubgraph,
) -> None:
    product = (await catalog.create(stock=3))["product"]["id"]
    lines = [ReservationLine(product, 3)]
    results = await asyncio.gather(
        *(reservations.reserve(catalog.services, "last", lines) for _ in range(8))
    )
    assert {(r.order_id, r.status, r.lines) for r in results} == {
        ("last", "RESERVED", tuple(lines))
    }
    assert await _stock(catalog, product) == 0


async def test_reservations_emit_stock_changed(catalog: CatalogSubgraph) -> None:
    product = (await catalog.create(stock=5))["product"]["id"]
    await reservations.reserve(catalog.services, "e1", [ReservationLine(product, 2)])
    await reservations.release(catalog.services, "e1")
    async with catalog.services.database.session() as session:
        rows = (await session.execute(select(outbox).where(outbox.c.type == "stock.changed"))).all()
    changes = sorted(((r.subject_id, orjson.loads(r.payload)) for r in rows), key=str)
    assert [(r.type, r.version) for r in rows] == [("stock.changed", 1)] * 2
    assert sorted(changes, key=lambda change: change[1]["delta"]) == [
        (product, {"stock": 3, "delta": -2, "reason": "reserved", "orderId": "e1"}),
        (product, {"stock": 5, "delta": 2, "reason": "released", "orderId": "e1"}),
    ]


@pytest.mark.parametrize("who", ["anonymous", "customer", "staff"])
async def test_reservations_need_the_service_token(catalog: CatalogSubgraph, who: str) -> None:
    product = (await catalog.create(stock=5))["product"]["id"]
    token = {"anonymous": None, "customer": catalog.customer_token, "staff": catalog.staff_token}[
        who
    ]
    variables = {"orderId": "x", "lines": [{"productId": product, "quantity": 1}]}
    body = await catalog.query(RESERVE, variables, token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _stock(catalog, product) == 5


async def test_the_internal_api_with_the_service_token(catalog: CatalogSubgraph) -> None:
    product = (await catalog.create(stock=5))["product"]["id"]
    variables = {"orderId": "o-1", "lines": [{"productId": product, "quantity": 2}]}
    reserved = await catalog.internal(RESERVE, variables)
    assert reserved["data"]["reserveStock"] == {
        "reservation": {
            "orderId": "o-1",
            "status": "RESERVED",
            "lines": [{"productId": product, "quantity": 2}],
        },
        "errors": [],
    }
    too_many = await catalog.internal(
        RESERVE, {"orderId": "o-2", "lines": [{"productId": product, "quantity": 9}]}
    )
    assert too_many["data"]["reserveStock"] == {
        "reservation": None,
        "errors": [{"code": "INSUFFICIENT_STOCK"}],
    }
    unknown = await catalog.internal(
        RESERVE, {"orderId": "o-3", "lines": [{"productId": "nope", "quantity": 1}]}
    )
    assert unknown["data"]["reserveStock"]["errors"] == [{"code": "PRODUCT_NOT_FOUND"}]
    assert (await catalog.internal(COMMIT, {"orderId": "o-1"}))["data"]["commitStock"][
        "reservation"
    ] == {"status": "COMMITTED"}
    assert (await catalog.internal(RELEASE, {"orderId": "o-1"}))["data"]["releaseStock"][
        "reservation"
    ] == {"status": "COMMITTED"}
    assert await _stock(catalog, product) == 3
