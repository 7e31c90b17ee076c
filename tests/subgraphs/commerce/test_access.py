"""Whose orders and carts a caller sees: owners their own, staff everyone's, nobody else
anything, whether asked directly or through `_entities`; and the pages of `myOrders`."""

from __future__ import annotations

from typing import Any

from subgraphs.platform.pagination import encode_cursor
from tests.subgraphs.commerce.conftest import DECLINED, SUCCEEDS, Shop, card
from tests.subgraphs.commerce.helpers import (
    cart_of,
    line,
    move_order,
    placed_order,
    refused,
)

ORDER_ENTITIES = """
query E($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Order { id status user { id } } }
}"""
USER_ORDERS = """
query E($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on User { id orders { totalCount edges { node { id } } } }
  }
}"""
USER_CART = """
query E($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on User { id cart { lines { product { id } quantity unitPrice { amount currency } lineTotal { amount } } subtotal { amount currency } itemCount } }
  }
}"""
MY_ORDERS = """
query Mine($first: Int, $after: String) {
  myOrders(first: $first, after: $after) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
RETRY = """
mutation R($id: ID!, $card: PaymentMethodInput!) {
  retryPayment(orderId: $id, paymentMethod: $card) { order { id } errors { field code message } }
}"""


def user(user_id: str) -> dict[str, Any]:
    return {"representations": [{"__typename": "User", "id": user_id}]}


def order_ref(order_id: str) -> dict[str, Any]:
    return {"representations": [{"__typename": "Order", "id": order_id}]}


def query_error(
    message: str, code: str, path: list[str | int], line_: int, column: int, **extensions: Any
) -> dict[str, Any]:
    return {
        "message": message,
        "locations": [{"line": line_, "column": column}],
        "path": path,
        "extensions": {"code": code, **extensions},
    }


async def my_orders(
    shop: Shop, token: str, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    arguments = {"first": first, "after": after}
    # An unset variable leaves the argument to its default, as a client omitting it would.
    variables = {name: value for name, value in arguments.items() if value is not None}
    return await shop.query(MY_ORDERS, variables, token)


async def test_another_customer_cannot_see_or_touch_an_order(shop: Shop) -> None:
    ann, bob = shop.token("ann"), shop.token("bob")
    bowl = await shop.product(stock=3, price="14.00", name="Bowl")
    placed = await placed_order(shop, ann, bowl, key="k", number=DECLINED)
    failed = await shop.settled(placed["id"], ann)
    not_found = refused("ORDER_NOT_FOUND", f"there is no order {placed['id']}", ["id"])

    seen = await shop.query(
        "query O($id: ID!) { order(id: $id) { id } }", {"id": placed["id"]}, bob
    )
    listed = await my_orders(shop, bob)
    cancelled = await move_order(shop, "cancelOrder", placed["id"], bob)
    retried = await shop.query(RETRY, {"id": placed["id"], "card": card(SUCCEEDS)}, bob)
    entities = await shop.query(ORDER_ENTITIES, order_ref(placed["id"]), bob)

    assert seen == {"data": {"order": None}}
    assert listed == {
        "data": {
            "myOrders": {
                "totalCount": 0,
                "edges": [],
                "pageInfo": {
                    "hasNextPage": False,
                    "hasPreviousPage": False,
                    "startCursor": None,
                    "endCursor": None,
                },
            }
        }
    }
    assert cancelled == {"order": None, "errors": not_found}
    assert retried == {"data": {"retryPayment": {"order": None, "errors": not_found}}}
    assert entities == {"data": {"_entities": [None]}}
    assert await shop.order(placed["id"], ann) == failed
    assert await shop.stock(bowl) == 3
    assert await shop.query(ORDER_ENTITIES, order_ref(placed["id"]), ann) == {
        "data": {
            "_entities": [{"id": placed["id"], "status": "PAYMENT_FAILED", "user": {"id": "ann"}}]
        }
    }


async def test_the_same_refusal_for_an_order_that_does_not_exist(shop: Shop) -> None:
    bob = shop.token("bob")

    seen = await shop.query("query O($id: ID!) { order(id: $id) { id } }", {"id": "nope"}, bob)
    cancelled = await move_order(shop, "cancelOrder", "nope", bob)
    retried = await shop.query(RETRY, {"id": "nope", "card": card(SUCCEEDS)}, bob)

    not_found = refused("ORDER_NOT_FOUND", "there is no order nope", ["id"])
    assert seen == {"data": {"order": None}}
    assert cancelled == {"order": None, "errors": not_found}
    assert retried == {"data": {"retryPayment": {"order": None, "errors": not_found}}}


async def test_another_customer_cannot_read_a_users_orders_or_cart(shop: Shop) -> None:
    ann, bob = shop.token("ann"), shop.token("bob")
    bowl = await shop.product(stock=3, price="14.00", name="Bowl")
    await shop.add(ann, bowl, 2)

    orders = await shop.query(USER_ORDERS, user("ann"), bob)
    cart = await shop.query(USER_CART, user("ann"), bob)

    # User.orders is non-null, so its error nulls the whole entity; User.cart is nullable.
    assert orders == {
        "data": {"_entities": [None]},
        "errors": [
            query_error(
                "these orders are not yours", "FORBIDDEN", ["_entities", 0, "orders"], 4, 22
            )
        ],
    }
    assert cart == {
        "data": {"_entities": [{"id": "ann", "cart": None}]},
        "errors": [
            query_error("this cart is not yours", "FORBIDDEN", ["_entities", 0, "cart"], 4, 22)
        ],
    }
    assert await shop.query(USER_CART, user("ann"), ann) == {
        "data": {"_entities": [{"id": "ann", "cart": cart_of(line(bowl, 2, "14.00"))}]}
    }
    assert await shop.query(USER_ORDERS, user("ann"), ann) == {
        "data": {"_entities": [{"id": "ann", "orders": {"totalCount": 0, "edges": []}}]}
    }


async def test_signed_out_callers_see_no_orders(shop: Shop) -> None:
    ann = shop.token("ann")
    bowl = await shop.product(stock=3, price="14.00", name="Bowl")
    placed = await placed_order(shop, ann, bowl, key="k")
    sign_in = {"message": "sign in to see this", "extensions": {"code": "UNAUTHENTICATED"}}

    seen = await shop.query("query O($id: ID!) { order(id: $id) { id } }", {"id": placed["id"]})
    listed = await shop.query("{ myOrders { totalCount } }")
    orders = await shop.query(USER_ORDERS, user("ann"))
    entities = await shop.query(ORDER_ENTITIES, order_ref(placed["id"]))

    assert seen == {
        "data": {"order": None},
        "errors": [{**sign_in, "locations": [{"line": 1, "column": 21}], "path": ["order"]}],
    }
    assert listed == {
        "data": None,
        "errors": [{**sign_in, "locations": [{"line": 1, "column": 3}], "path": ["myOrders"]}],
    }
    assert orders == {
        "data": {"_entities": [None]},
        "errors": [
            {
                **sign_in,
                "locations": [{"line": 4, "column": 22}],
                "path": ["_entities", 0, "orders"],
            }
        ],
    }
    assert entities == {"data": {"_entities": [None]}}


async def test_staff_see_any_order_and_any_users_orders_and_cart(shop: Shop) -> None:
    ann, staff = shop.token("ann"), shop.staff_token
    bowl = await shop.product(stock=5, price="14.00", name="Bowl")
    placed = await placed_order(shop, ann, bowl, key="k")
    paid = await shop.settled(placed["id"], ann)
    await shop.add(ann, bowl, 1)

    assert await shop.order(placed["id"], staff) == paid
    assert await shop.query(ORDER_ENTITIES, order_ref(placed["id"]), staff) == {
        "data": {"_entities": [{"id": placed["id"], "status": "PAID", "user": {"id": "ann"}}]}
    }
    assert await shop.query(USER_ORDERS, user("ann"), staff) == {
        "data": {
            "_entities": [
                {
                    "id": "ann",
                    "orders": {"totalCount": 1, "edges": [{"node": {"id": placed["id"]}}]},
                }
            ]
        }
    }
    assert await shop.query(USER_CART, user("ann"), staff) == {
        "data": {"_entities": [{"id": "ann", "cart": cart_of(line(bowl, 1, "14.00"))}]}
    }
    # Staff's own list holds only staff's own orders.
    assert (await my_orders(shop, staff))["data"]["myOrders"]["totalCount"] == 0


async def test_my_orders_come_newest_first_in_pages(shop: Shop) -> None:
    ann, bob = shop.token("ann"), shop.token("bob")
    plate = await shop.product(stock=20, price="5.00", name="Plate")
    placed = [(await placed_order(shop, ann, plate, key=f"k{n}"))["id"] for n in range(5)]
    await placed_order(shop, bob, plate, key="k0")
    newest_first = placed[::-1]

    first = await my_orders(shop, ann, first=2)
    page = first["data"]["myOrders"]
    second = await my_orders(shop, ann, first=2, after=page["pageInfo"]["endCursor"])
    page2 = second["data"]["myOrders"]
    third = await my_orders(shop, ann, first=2, after=page2["pageInfo"]["endCursor"])
    page3 = third["data"]["myOrders"]

    def expected(ids: list[str], page: dict[str, Any], *, more: bool, after: bool) -> Any:
        cursors = [edge["cursor"] for edge in page["edges"]]
        return {
            "data": {
                "myOrders": {
                    "totalCount": 5,
                    "edges": [
                        {"cursor": cursor, "node": {"id": order_id}}
                        for cursor, order_id in zip(cursors, ids, strict=True)
                    ],
                    "pageInfo": {
                        "hasNextPage": more,
                        "hasPreviousPage": after,
                        "startCursor": cursors[0],
                        "endCursor": cursors[-1],
                    },
                }
            }
        }

    assert first == expected(newest_first[:2], page, more=True, after=False)
    assert second == expected(newest_first[2:4], page2, more=True, after=True)
    assert third == expected(newest_first[4:], page3, more=False, after=True)
    everything = await my_orders(shop, ann, first=100)
    assert [edge["node"]["id"] for edge in everything["data"]["myOrders"]["edges"]] == newest_first
    assert [edge["cursor"] for edge in everything["data"]["myOrders"]["edges"]] == [
        edge["cursor"] for edge in page["edges"] + page2["edges"] + page3["edges"]
    ]
    assert await my_orders(shop, ann, first=0) == {
        "data": {
            "myOrders": {
                "totalCount": 5,
                "edges": [],
                "pageInfo": {
                    "hasNextPage": True,
                    "hasPreviousPage": False,
                    "startCursor": None,
                    "endCursor": None,
                },
            }
        }
    }


async def test_a_page_size_over_100_or_a_foreign_cursor_is_refused(shop: Shop) -> None:
    ann = shop.token("ann")
    page_size = ("first must be between 0 and 100", "INVALID_PAGE_SIZE", ["first"])
    bad_cursor = ("this cursor is not valid for this list", "INVALID_CURSOR", ["after"])

    cases: list[tuple[int | None, str | None, tuple[str, str, list[str]]]] = [
        (101, None, page_size),
        (-1, None, page_size),
        (None, "garbage!", bad_cursor),
        (None, encode_cursor(["only one value"]), bad_cursor),
        (None, encode_cursor(["not a time", "some-id"]), bad_cursor),
        (None, encode_cursor([1, 2]), bad_cursor),
    ]
    for first, after, (message, code, field) in cases:
        body = await my_orders(shop, ann, first, after)
        assert body == {
            "data": None,
            "errors": [query_error(message, code, ["myOrders"], 3, 3, field=field)],
        }, (first, after)

    through_user = await shop.query(
        "query E($r: [_Any!]!) { _entities(representations: $r) "
        "{ ... on User { orders(first: 101) { totalCount } } } }",
        {"r": [{"__typename": "User", "id": "ann"}]},
        ann,
    )
    assert through_user == {
        "data": {"_entities": [None]},
        "errors": [
            query_error(
                page_size[0], page_size[1], ["_entities", 0, "orders"], 1, 72, field=["first"]
            )
        ],
    }


STAFF_ORDERS = """
query All($first: Int, $after: String, $status: OrderStatus) {
  orders(first: $first, after: $after, status: $status) {
    totalCount
    edges { node { id status user { id } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def test_staff_list_everyones_orders_newest_first_of_one_status(shop: Shop) -> None:
    ann, bob, staff = shop.token("ann"), shop.token("bob"), shop.staff_token
    cup = await shop.product(stock=20, price="5.00", name="Cup")
    paid = await placed_order(shop, ann, cup, key="k1")
    declined = await placed_order(shop, bob, cup, key="k1", number=DECLINED)
    latest = await placed_order(shop, ann, cup, key="k2")
    for order_id, owner in [(paid["id"], ann), (declined["id"], bob), (latest["id"], ann)]:
        await shop.settled(order_id, owner)

    first = await shop.query(STAFF_ORDERS, {"first": 2}, staff)
    rest = await shop.query(
        STAFF_ORDERS, {"first": 2, "after": first["data"]["orders"]["pageInfo"]["endCursor"]}, staff
    )
    failed = await shop.query(STAFF_ORDERS, {"status": "PAYMENT_FAILED"}, staff)
    customer = await shop.query(STAFF_ORDERS, {}, ann)

    def node(order: dict[str, Any], status: str, owner: str) -> dict[str, Any]:
        return {"node": {"id": order["id"], "status": status, "user": {"id": owner}}}

    assert first["data"]["orders"]["totalCount"] == 3
    assert first["data"]["orders"]["edges"] == [
        node(latest, "PAID", "ann"),
        node(declined, "PAYMENT_FAILED", "bob"),
    ]
    assert rest["data"]["orders"]["edges"] == [node(paid, "PAID", "ann")]
    assert rest["data"]["orders"]["pageInfo"]["hasNextPage"] is False
    assert failed["data"]["orders"] == {
        "totalCount": 1,
        "edges": [node(declined, "PAYMENT_FAILED", "bob")],
        "pageInfo": {
            "hasNextPage": False,
            "endCursor": failed["data"]["orders"]["pageInfo"]["endCursor"],
        },
    }
    assert customer == {
        "data": None,
        "errors": [query_error("these orders are not yours", "FORBIDDEN", ["orders"], 3, 3)],
    }
