"""Carts through GraphQL: what goes in, at which price, what is refused, and whose cart it is.

Each test runs once with carts in the database store on SQLite and on PostgreSQL;
`test_a_cart_in_redis_*` runs the same moves on the Redis store.
"""

from __future__ import annotations

import asyncio
import uuid

import redis.asyncio as redis

from subgraphs.commerce.cart_store import CART_TTL_SECONDS
from subgraphs.platform.settings import Settings
from tests.subgraphs.commerce.conftest import Shop, open_shop
from tests.subgraphs.commerce.helpers import (
    cart_of,
    clear_cart,
    delete_product,
    line,
    put_in_cart,
    refused,
    set_price,
    update_line,
    view_cart,
)

EMPTY = cart_of()
SIGNED_OUT = ""  # sends no authorization header


async def test_adding_puts_the_product_in_the_cart_and_adding_again_accumulates(
    shop: Shop,
) -> None:
    ann = shop.token("ann")
    mug = await shop.product(stock=10, price="12.50", name="Mug")
    tea = await shop.product(stock=10, price="4.99", name="Tea")

    first = await shop.add(ann, mug, 2)
    second = await shop.add(ann, tea)
    third = await shop.add(ann, mug, 3)

    assert first == {"cart": cart_of(line(mug, 2, "12.50")), "errors": []}
    assert second == {"cart": cart_of(line(mug, 2, "12.50"), line(tea, 1, "4.99")), "errors": []}
    expected = cart_of(line(mug, 5, "12.50"), line(tea, 1, "4.99"))
    assert third == {"cart": expected, "errors": []}
    assert expected["subtotal"] == {"amount": "67.49", "currency": "USD"}
    assert await view_cart(shop, ann) == expected


async def test_the_cart_shows_the_price_the_catalog_asks_today(shop: Shop) -> None:
    ann = shop.token("ann")
    lamp = await shop.product(stock=5, price="30.00", name="Lamp")
    await shop.add(ann, lamp, 2)

    await set_price(shop, lamp, "27.45")

    assert await view_cart(shop, ann) == cart_of(line(lamp, 2, "27.45"))
    assert await shop.add(ann, lamp) == {"cart": cart_of(line(lamp, 3, "27.45")), "errors": []}


async def test_asking_for_more_than_the_stock_is_insufficient_stock(shop: Shop) -> None:
    ann = shop.token("ann")
    chair = await shop.product(stock=5, name="Chair")

    too_many = await shop.add(ann, chair, 6)
    assert too_many == {
        "cart": None,
        "errors": refused("INSUFFICIENT_STOCK", "only 5 of Chair in stock", ["quantity"]),
    }
    assert await view_cart(shop, ann) == EMPTY

    await shop.add(ann, chair, 3)
    accumulated = await shop.add(ann, chair, 3)

    assert accumulated == {
        "cart": None,
        "errors": refused("INSUFFICIENT_STOCK", "only 5 of Chair in stock", ["quantity"]),
    }
    assert await view_cart(shop, ann) == cart_of(line(chair, 3, "10.00"))
    assert await shop.add(ann, chair, 2) == {"cart": cart_of(line(chair, 5, "10.00")), "errors": []}


async def test_an_unknown_product_is_not_found(shop: Shop) -> None:
    ann = shop.token("ann")

    for missing in (str(uuid.uuid4()), "not-an-id"):
        added = await shop.add(ann, missing)
        assert added == {
            "cart": None,
            "errors": refused(
                "PRODUCT_NOT_FOUND", f"product {missing} is not for sale", ["productId"]
            ),
        }
    assert await view_cart(shop, ann) == EMPTY


async def test_a_deleted_product_is_not_found_but_stays_visible_in_a_cart(shop: Shop) -> None:
    ann = shop.token("ann")
    kept = await shop.product(stock=5, price="3.00", name="Kept")
    gone = await shop.product(stock=5, price="8.00", name="Gone")
    await shop.add(ann, gone, 2)
    await shop.add(ann, kept)

    await delete_product(shop, gone)

    not_for_sale = refused("PRODUCT_NOT_FOUND", f"product {gone} is not for sale", ["productId"])
    assert await shop.add(ann, gone) == {"cart": None, "errors": not_for_sale}
    assert await update_line(shop, ann, gone, 1) == {"cart": None, "errors": not_for_sale}
    # Still shown, so the customer sees why checkout would fail; removing it works.
    assert await view_cart(shop, ann) == cart_of(line(gone, 2, "8.00"), line(kept, 1, "3.00"))
    assert await update_line(shop, ann, gone, 0) == {
        "cart": cart_of(line(kept, 1, "3.00")),
        "errors": [],
    }
    bob = shop.token("bob")
    assert await shop.add(bob, gone) == {"cart": None, "errors": not_for_sale}


async def test_a_quantity_outside_1_to_99_is_invalid_and_changes_nothing(shop: Shop) -> None:
    ann = shop.token("ann")
    rope = await shop.product(stock=500, price="1.00", name="Rope")
    await shop.add(ann, rope, 60)
    before = cart_of(line(rope, 60, "1.00"))

    for quantity in (0, 100, -1, -60):
        added = await shop.add(ann, rope, quantity)
        assert added == {
            "cart": None,
            "errors": refused(
                "INVALID_QUANTITY", "quantity must be between 1 and 99", ["quantity"]
            ),
        }, quantity
    past_99 = await shop.add(ann, rope, 40)

    assert past_99 == {
        "cart": None,
        "errors": refused(
            "INVALID_QUANTITY", "a cart line holds at most 99; this one has 60", ["quantity"]
        ),
    }
    assert await view_cart(shop, ann) == before
    assert await shop.add(ann, rope, 39) == {"cart": cart_of(line(rope, 99, "1.00")), "errors": []}


async def test_update_cart_line_sets_the_quantity_and_zero_removes_the_line(shop: Shop) -> None:
    ann = shop.token("ann")
    pen = await shop.product(stock=20, price="2.00", name="Pen")
    ink = await shop.product(stock=3, price="5.00", name="Ink")
    await shop.add(ann, pen, 5)

    assert await update_line(shop, ann, pen, 2) == {
        "cart": cart_of(line(pen, 2, "2.00")),
        "errors": [],
    }
    assert await update_line(shop, ann, ink, 3) == {
        "cart": cart_of(line(pen, 2, "2.00"), line(ink, 3, "5.00")),
        "errors": [],
    }
    assert await update_line(shop, ann, ink, 4) == {
        "cart": None,
        "errors": refused("INSUFFICIENT_STOCK", "only 3 of Ink in stock", ["quantity"]),
    }
    for quantity in (100, -1):
        assert await update_line(shop, ann, pen, quantity) == {
            "cart": None,
            "errors": refused(
                "INVALID_QUANTITY", "quantity must be between 0 and 99", ["quantity"]
            ),
        }
    assert await view_cart(shop, ann) == cart_of(line(pen, 2, "2.00"), line(ink, 3, "5.00"))

    assert await update_line(shop, ann, pen, 0) == {
        "cart": cart_of(line(ink, 3, "5.00")),
        "errors": [],
    }
    # Removing a line that is not there is a no-op, not an error.
    assert await update_line(shop, ann, pen, 0) == {
        "cart": cart_of(line(ink, 3, "5.00")),
        "errors": [],
    }
    assert await view_cart(shop, ann) == cart_of(line(ink, 3, "5.00"))


async def test_clear_cart_empties_only_the_callers_cart(shop: Shop) -> None:
    ann, bob = shop.token("ann"), shop.token("bob")
    cup = await shop.product(stock=9, price="6.00", name="Cup")
    await shop.add(ann, cup, 2)
    await shop.add(bob, cup, 1)

    assert await clear_cart(shop, ann) == {"cart": EMPTY, "errors": []}

    assert await view_cart(shop, ann) == EMPTY
    assert await view_cart(shop, bob) == cart_of(line(cup, 1, "6.00"))
    assert await clear_cart(shop, ann) == {"cart": EMPTY, "errors": []}


async def test_a_cart_holds_at_most_100_products(shop: Shop) -> None:
    ann = shop.token("ann")
    products = await asyncio.gather(
        *(shop.product(stock=2, price="1.00", name=f"P{n}") for n in range(101))
    )
    # Filled through the store: a hundred addToCart calls would only repeat the first.
    for product_id in products[:100]:
        await put_in_cart(shop, "ann", product_id)
    full = cart_of(*(line(product_id, 1, "1.00") for product_id in products[:100]))

    one_more = await shop.add(ann, products[100])
    set_one_more = await update_line(shop, ann, products[100], 1)

    too_many = refused("TOO_MANY_LINES", "a cart holds at most 100 products", ["productId"])
    assert one_more == {"cart": None, "errors": too_many}
    assert set_one_more == {"cart": None, "errors": too_many}
    assert await view_cart(shop, ann) == full
    # A line already in a full cart still changes, and a freed place can be taken.
    more_of_first = await shop.add(ann, products[0])
    assert more_of_first["errors"] == []
    assert more_of_first["cart"]["itemCount"] == 101
    await update_line(shop, ann, products[1], 0)
    took_the_place = await shop.add(ann, products[100])
    assert took_the_place["errors"] == []
    assert [each["product"]["id"] for each in took_the_place["cart"]["lines"]] == [
        products[0],
        *products[2:],
    ]


async def test_adds_of_one_product_at_once_all_count(shop: Shop) -> None:
    # A double click: every add is answered with the cart, and every unit is in it.
    ann = shop.token("ann")
    mug = await shop.product(stock=50, price="2.00", name="Mug")

    first_adds = await asyncio.gather(*(shop.add(ann, mug) for _ in range(5)))
    later_adds = await asyncio.gather(*(shop.add(ann, mug) for _ in range(5)))

    assert [added["errors"] for added in first_adds + later_adds] == [[]] * 10
    assert await view_cart(shop, ann) == cart_of(line(mug, 10, "2.00"))


async def test_the_line_limit_holds_for_writes_at_once(shop: Shop) -> None:
    store = shop.commerce.carts

    placed = await asyncio.gather(
        *(store.change_line("ann", f"p{n}", 1, add=False, cap=99, max_lines=1) for n in range(8))
    )

    assert sorted(change.refused or "" for change in placed) == [""] + ["lines"] * 7
    assert len(await store.lines("ann")) == 1


async def test_signed_out_callers_have_no_cart(shop: Shop) -> None:
    mug = await shop.product(stock=5, name="Mug")
    sign_in = refused("UNAUTHENTICATED", "sign in first", None)

    assert await shop.add(SIGNED_OUT, mug) == {"cart": None, "errors": sign_in}
    assert await update_line(shop, SIGNED_OUT, mug, 1) == {"cart": None, "errors": sign_in}
    assert await clear_cart(shop, SIGNED_OUT) == {"cart": None, "errors": sign_in}
    body = await shop.query("{ cart { itemCount } }")
    assert body == {
        "data": {"cart": None},
        "errors": [
            {
                "message": "sign in to see this",
                "locations": [{"line": 1, "column": 3}],
                "path": ["cart"],
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ],
    }


async def test_each_customer_has_their_own_cart(shop: Shop) -> None:
    ann, bob = shop.token("ann"), shop.token("bob")
    mug = await shop.product(stock=10, price="12.50", name="Mug")
    tea = await shop.product(stock=10, price="4.99", name="Tea")

    await shop.add(ann, mug, 2)
    await shop.add(bob, tea, 3)
    await shop.add(bob, mug, 1)

    assert await view_cart(shop, ann) == cart_of(line(mug, 2, "12.50"))
    assert await view_cart(shop, bob) == cart_of(line(tea, 3, "4.99"), line(mug, 1, "12.50"))
    assert await view_cart(shop, shop.token("cat")) == EMPTY


async def test_a_cart_keeps_to_one_currency(shop: Shop) -> None:
    ann = shop.token("ann")
    dollars = await shop.product(stock=5, price="10.00", name="Dollar thing")
    euros = await shop.product(stock=5, price="9.00", name="Euro thing", currency="EUR")
    await shop.add(ann, dollars)

    mixed = await shop.add(ann, euros)
    mixed_by_update = await update_line(shop, ann, euros, 1)

    mismatch = refused(
        "CURRENCY_MISMATCH", "the cart is in USD; Euro thing is in EUR", ["productId"]
    )
    assert mixed == {"cart": None, "errors": mismatch}
    assert mixed_by_update == {"cart": None, "errors": mismatch}
    assert await view_cart(shop, ann) == cart_of(line(dollars, 1, "10.00"))

    await update_line(shop, ann, dollars, 0)
    in_euros = await shop.add(ann, euros, 2)

    assert in_euros == {
        "cart": cart_of(line(euros, 2, "9.00", "EUR"), currency="EUR"),
        "errors": [],
    }


async def test_a_cart_in_redis_keeps_its_lines_in_order_for_30_idle_days(
    settings: Settings, redis_url: str
) -> None:
    async with open_shop(settings.model_copy(update={"redis_url": redis_url})) as shop:
        ann = shop.token("ann")
        a, b, c = [await shop.product(stock=9, price=f"{n}.00", name=n) for n in ("1", "2", "3")]
        client = redis.from_url(redis_url)
        try:
            await shop.add(ann, a)
            await shop.add(ann, b, 2)
            assert await shop.add(ann, c) == {
                "cart": cart_of(line(a, 1, "1.00"), line(b, 2, "2.00"), line(c, 1, "3.00")),
                "errors": [],
            }
            ttl = await client.ttl("shopgraph:cart:ann")
            assert CART_TTL_SECONDS - 5 <= ttl <= CART_TTL_SECONDS

            # Changing a line keeps its place; a removed line added again goes last.
            assert await shop.add(ann, a, 3) == {
                "cart": cart_of(line(a, 4, "1.00"), line(b, 2, "2.00"), line(c, 1, "3.00")),
                "errors": [],
            }
            assert await update_line(shop, ann, b, 0) == {
                "cart": cart_of(line(a, 4, "1.00"), line(c, 1, "3.00")),
                "errors": [],
            }
            assert await update_line(shop, ann, b, 5) == {
                "cart": cart_of(line(a, 4, "1.00"), line(c, 1, "3.00"), line(b, 5, "2.00")),
                "errors": [],
            }
            await client.expire("shopgraph:cart:ann", 60)
            assert await view_cart(shop, ann) == cart_of(
                line(a, 4, "1.00"), line(c, 1, "3.00"), line(b, 5, "2.00")
            )
            assert await client.ttl("shopgraph:cart:ann") >= CART_TTL_SECONDS - 5
            # A read alone pushes the expiry back too.
            await client.expire("shopgraph:cart:ann", 60)
            assert await view_cart(shop, ann) == cart_of(
                line(a, 4, "1.00"), line(c, 1, "3.00"), line(b, 5, "2.00")
            )
            assert await client.ttl("shopgraph:cart:ann") >= CART_TTL_SECONDS - 5
            assert await view_cart(shop, shop.token("bob")) == EMPTY
            assert await client.exists("shopgraph:cart:bob") == 0

            assert await clear_cart(shop, ann) == {"cart": EMPTY, "errors": []}
            assert await view_cart(shop, ann) == EMPTY
            assert await client.exists("shopgraph:cart:ann") == 0
        finally:
            await client.aclose()


async def test_a_cart_in_redis_refuses_what_the_database_store_refuses(
    settings: Settings, redis_url: str
) -> None:
    """The Redis store checks each add in one script: the same refusals, nothing changed."""
    async with open_shop(settings.model_copy(update={"redis_url": redis_url})) as shop:
        ann = shop.token("ann")
        chair = await shop.product(stock=5, name="Chair")
        euros = await shop.product(stock=5, price="9.00", name="Euro thing", currency="EUR")
        client = redis.from_url(redis_url)
        try:
            missing = str(uuid.uuid4())
            assert await shop.add(ann, missing) == {
                "cart": None,
                "errors": refused(
                    "PRODUCT_NOT_FOUND", f"product {missing} is not for sale", ["productId"]
                ),
            }
            assert await client.exists("shopgraph:cart:ann") == 0
            # The first add finds the chair in no cache: catalog's answer fills it.
            assert await shop.add(ann, chair, 3) == {
                "cart": cart_of(line(chair, 3, "10.00")),
                "errors": [],
            }
            assert await client.hget(f"shopgraph:product:{chair}", "stock") == b"5"
            assert await shop.add(ann, chair, 3) == {
                "cart": None,
                "errors": refused("INSUFFICIENT_STOCK", "only 5 of Chair in stock", ["quantity"]),
            }
            assert await shop.add(ann, euros) == {
                "cart": None,
                "errors": refused(
                    "CURRENCY_MISMATCH", "the cart is in USD; Euro thing is in EUR", ["productId"]
                ),
            }
            assert await shop.add(ann, chair, 99) == {
                "cart": None,
                "errors": refused(
                    "INVALID_QUANTITY", "a cart line holds at most 99; this one has 3", ["quantity"]
                ),
            }
            # A line whose product left the cache is read from catalog again.
            await client.delete(f"shopgraph:product:{chair}")
            assert await shop.add(ann, chair, 2) == {
                "cart": cart_of(line(chair, 5, "10.00")),
                "errors": [],
            }
            assert await view_cart(shop, ann) == cart_of(line(chair, 5, "10.00"))
        finally:
            await client.aclose()
