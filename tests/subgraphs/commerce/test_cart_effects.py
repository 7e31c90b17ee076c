"""What an order bought leaves the cart: after checkout's commit, on `order.placed` (again
on each delivery, without an inbox: the removal is idempotent by the order's time), and
when a repeated key returns the order; lines added later always stay."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from datetime import UTC, datetime

import pytest
import redis.exceptions

from subgraphs.commerce.background import remove_all_bought_lines, remove_bought_lines
from subgraphs.commerce.events import ORDER_PLACED
from subgraphs.platform.events import Event, JSONValue
from subgraphs.platform.settings import Settings
from tests.statements import recorded_statements
from tests.subgraphs.commerce.conftest import Shop, open_shop
from tests.subgraphs.commerce.helpers import eventually, put_in_cart, view_cart


def _placed(user_id: str, *product_ids: str) -> Event:
    lines: list[JSONValue] = [
        {"productId": pid, "quantity": 1, "unitPrice": "10.00"} for pid in product_ids
    ]
    return Event.new(ORDER_PLACED, "order-1", {"userId": user_id, "lines": lines})


async def _cart(shop: Shop, user_id: str) -> list[tuple[str, int]]:
    return await shop.commerce.carts.lines(user_id)


async def _past_the_millisecond_of(moment: datetime) -> None:
    left = _milliseconds(moment) + 1 - _milliseconds(datetime.now(UTC))
    if left > 0:
        await asyncio.sleep(left / 1000)


def _milliseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def _removes_once_and_spares_later_lines(shop: Shop) -> None:
    lamp, rug = await shop.product(name="Lamp"), await shop.product(name="Rug")
    await put_in_cart(shop, "ann", lamp)
    await put_in_cart(shop, "ann", rug)
    placed = _placed("ann", lamp)

    await remove_bought_lines(shop.commerce, placed)
    assert await _cart(shop, "ann") == [(rug, 1)]  # only what the order bought

    # The customer wants another lamp, later. The Redis store keeps times in whole
    # milliseconds and counts a line of the order's own millisecond as bought, so
    # "later" is a later millisecond (a fast machine got here within the same one).
    await _past_the_millisecond_of(placed.occurred_at)
    await put_in_cart(shop, "ann", lamp)
    await remove_all_bought_lines(shop.commerce, [placed, placed])  # redeliveries
    assert await _cart(shop, "ann") == [(rug, 1), (lamp, 1)]


async def test_order_placed_removes_what_it_bought_once(shop: Shop) -> None:
    await _removes_once_and_spares_later_lines(shop)


@pytest.mark.parametrize("backend", ["postgres"])
async def test_order_placed_removes_what_it_bought_once_from_redis(
    settings: Settings, redis_url: str
) -> None:
    async with open_shop(settings.model_copy(update={"redis_url": redis_url})) as shop:
        await _removes_once_and_spares_later_lines(shop)


@pytest.mark.parametrize("backend", ["postgres"])
async def test_emptying_carts_on_order_placed_costs_no_sql_statement(
    settings: Settings, redis_url: str
) -> None:
    async with open_shop(settings.model_copy(update={"redis_url": redis_url})) as shop:
        lamp = await shop.product(name="Lamp")
        await put_in_cart(shop, "ann", lamp)
        await put_in_cart(shop, "bo", lamp)

        with recorded_statements(shop.commerce.database.engine) as statements:
            await remove_all_bought_lines(shop.commerce, [_placed("ann", lamp), _placed("bo")])

        assert statements == []  # the carts are in Redis, and there is no inbox to keep
        assert await _cart(shop, "ann") == []
        assert await _cart(shop, "bo") == [(lamp, 1)]


async def test_a_repeated_key_clears_the_cart_its_order_left(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = shop.token("ann")
    lamp = await shop.product(stock=5, name="Lamp")
    await shop.add(ann, lamp, 2)

    async def crashed(user_id: str, product_ids: Collection[str], placed_at: datetime) -> None:
        """As if the process died after the commit, before anything touched the cart."""

    monkeypatch.setattr(shop.commerce.carts, "remove_bought", crashed)
    first = await shop.checkout(ann, key="k")
    assert first["errors"] == []
    assert [line["quantity"] for line in (await view_cart(shop, ann))["lines"]] == [2]
    monkeypatch.undo()

    again = await shop.checkout(ann, key="k")

    assert again["errors"] == []
    assert again["order"]["id"] == first["order"]["id"]
    assert (await view_cart(shop, ann))["lines"] == []
    fresh = await shop.checkout(ann, key="a new key")
    assert [error["code"] for error in fresh["errors"]] == ["EMPTY_CART"]
    assert await shop.stock(lamp) == 3


async def test_a_cart_store_outage_after_the_commit_leaves_the_emptying_to_the_event(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ann = shop.token("ann")
    lamp = await shop.product(stock=5, name="Lamp")
    await shop.add(ann, lamp, 1)
    store = shop.commerce.carts
    remove_bought = store.remove_bought
    calls: list[str] = []

    async def down_once(user_id: str, product_ids: Collection[str], placed_at: datetime) -> None:
        calls.append(user_id)
        if len(calls) == 1:
            raise redis.exceptions.ConnectionError("Connection refused")
        await remove_bought(user_id, product_ids, placed_at)

    monkeypatch.setattr(store, "remove_bought", down_once)
    with caplog.at_level(logging.WARNING, logger="subgraphs.commerce.checkout"):
        placed = await shop.checkout(ann, key="k")

    assert placed["errors"] == []
    assert placed["order"]["status"] == "PENDING_PAYMENT"
    [warning] = [r for r in caplog.records if r.name == "subgraphs.commerce.checkout"]
    assert warning.getMessage().endswith(
        "its cart is emptied when order.placed is handled: ConnectionError: Connection refused"
    )
    emptied = await eventually(lambda: view_cart(shop, ann), lambda cart: cart["lines"] == [])
    assert emptied["itemCount"] == 0
