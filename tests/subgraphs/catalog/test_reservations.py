"""Stock reservations: no oversell under concurrency, idempotent per order, internal only."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from subgraphs.catalog import reservations
from subgraphs.catalog.models import ProductRow, outbox
from subgraphs.catalog.reservations import ReservationLine
from subgraphs.platform.errors import DomainError
from tests.statements import recorded_statements
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


PRICED = """
mutation R($orderId: ID!, $lines: [ReservationLineInput!]!) {
  reserveStock(orderId: $orderId, lines: $lines) {
    reservation { status lines { productId quantity name price { amount currency } deleted } }
    errors { code }
  }
}"""
DELETE = "mutation D($id: ID!) { deleteProduct(id: $id) { deletedId errors { code } } }"


async def _stock_kept(catalog: CatalogSubgraph, product_id: str) -> int | None:
    """The stock of a product, deleted or not (the API shows no deleted product)."""
    async with catalog.services.database.reading() as connection:
        return await connection.scalar(select(ProductRow.stock).where(ProductRow.id == product_id))


async def _reserve_priced(catalog: CatalogSubgraph, order_id: str, *products: str) -> Any:
    lines = [{"productId": product, "quantity": 1} for product in products]
    body = await catalog.internal(PRICED, {"orderId": order_id, "lines": lines})
    return body["data"]["reserveStock"]


async def test_a_reservation_answers_what_an_order_line_needs(catalog: CatalogSubgraph) -> None:
    product = (await catalog.create(name="Lamp", price="12.50", stock=5))["product"]["id"]
    assert await _reserve_priced(catalog, "o-1", product) == {
        "reservation": {
            "status": "RESERVED",
            "lines": [
                {
                    "productId": product,
                    "quantity": 1,
                    "name": "Lamp",
                    "price": {"amount": "12.50", "currency": "USD"},
                    "deleted": False,
                }
            ],
        },
        "errors": [],
    }
    # Release and commit answer no product details.
    released = await catalog.internal(
        "mutation L($o: ID!) { releaseStock(orderId: $o) { reservation { lines { name } } } }",
        {"o": "o-1"},
    )
    assert released["data"]["releaseStock"]["reservation"]["lines"] == [{"name": None}]


async def test_a_reservation_is_one_statement_that_answers_its_products(
    catalog: CatalogSubgraph, backend: str
) -> None:
    lamp = (await catalog.create(name="Lamp", price="12.50", stock=5))["product"]["id"]
    chair = (await catalog.create(name="Chair", price="40.00", stock=5))["product"]["id"]
    await catalog.indexed()
    wanted = [ReservationLine(lamp, 2), ReservationLine(chair, 1)]

    with recorded_statements(catalog.services.database.engine) as statements:
        reserved = await reservations.reserve(catalog.services, "budget", wanted)

    # PostgreSQL: reserve_stock() reads the products as it locks them. SQLite, in one
    # transaction: the key read, the products, the key written, each line's decrement,
    # the lines and the outbox.
    assert len(statements) == (1 if backend == "postgres" else 8), statements
    assert sorted(
        (p.product_id, p.name, p.price, p.currency, p.deleted) for p in reserved.products
    ) == sorted(
        [
            (lamp, "Lamp", Decimal("12.50"), "USD", False),
            (chair, "Chair", Decimal("40.00"), "USD", False),
        ]
    )


async def test_mixed_currencies_and_deleted_products_reserve_nothing(
    catalog: CatalogSubgraph,
) -> None:
    dollars = (await catalog.create(stock=5))["product"]["id"]
    euros = (await catalog.create(stock=5, currency="EUR"))["product"]["id"]
    gone = (await catalog.create(stock=5))["product"]["id"]
    deleted = await catalog.query(DELETE, {"id": gone}, catalog.staff_token)
    assert deleted["data"]["deleteProduct"]["errors"] == []

    mixed = await _reserve_priced(catalog, "mixed", dollars, euros)
    assert mixed == {"reservation": None, "errors": [{"code": "CURRENCY_MISMATCH"}]}
    with_deleted = await _reserve_priced(catalog, "with-deleted", dollars, gone)
    assert with_deleted == {"reservation": None, "errors": [{"code": "PRODUCT_NOT_FOUND"}]}

    for product in (dollars, euros, gone):
        assert await _stock_kept(catalog, product) == 5
    for key in ("mixed", "with-deleted"):
        assert await reservations.get_reservation(catalog.services, key) is None


async def test_a_key_reserved_before_stands_after_its_product_is_deleted(
    catalog: CatalogSubgraph,
) -> None:
    # A checkout resumed after a lost answer learns what its key holds, and that the
    # product is deleted now; refusing it would leave its stock held by no answer.
    product = (await catalog.create(stock=5))["product"]["id"]
    await reservations.reserve(catalog.services, "held", [ReservationLine(product, 2)])
    deleted = await catalog.query(DELETE, {"id": product}, catalog.staff_token)
    assert deleted["data"]["deleteProduct"]["errors"] == []

    again = await reservations.reserve(catalog.services, "held", [ReservationLine(product, 2)])

    assert (again.status, again.lines) == ("RESERVED", (ReservationLine(product, 2),))
    assert [(p.product_id, p.deleted) for p in again.products] == [(product, True)]
    assert await _stock_kept(catalog, product) == 3
