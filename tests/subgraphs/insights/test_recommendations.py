"""Recommendation counts kept from events (through the consumer's inbox) and the fields
that read them, with deterministic orders, views and catalog changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from subgraphs.insights.models import CoPurchaseRow
from subgraphs.insights.recommendations.consumer import handle_event
from subgraphs.insights.recommendations.reading import neighbours, personal, popular
from subgraphs.platform.auth import Role
from subgraphs.platform.events import Event
from tests.subgraphs.insights.conftest import InsightsSubgraph
from tests.subgraphs.insights.data import event, paid, placed, tracked

NOW = datetime.now(UTC)


def order(name: str, user: str, products: list[str], *, is_paid: bool = True) -> list[Event]:
    events = [placed(name, user, [(p, 1, "10.00") for p in products], NOW)]
    if is_paid:
        events.append(paid(name, user, f"{10 * len(products)}.00", NOW))
    return events


def views(session: str, user: str | None, products: list[str], at: datetime = NOW) -> list[Event]:
    return [tracked("product.viewed", session, user, at, productId=p) for p in products]


def product_change(kind: str, product: str, stock: int, deleted: bool = False) -> Event:
    return event(kind, product, {"name": product, "stock": stock, "deleted": deleted}, NOW)


async def feed(insights: InsightsSubgraph, events: list[Event]) -> None:
    for each in events:
        await handle_event(insights.services.database, each)


ORDERS = [
    *order("o1", "u1", ["A", "B"]),
    *order("o2", "u2", ["A", "B"]),
    *order("o3", "u3", ["A", "C"]),
    *order("o4", "u4", ["A", "D"], is_paid=False),
]
VIEWS = [
    *views("s1", None, ["A", "B"]),
    *views("s2", "u9", ["A", "B", "C"]),
    *views("s3", None, ["A", "A"]),
]


async def test_co_purchases_count_paid_orders_once_each(insights: InsightsSubgraph) -> None:
    await feed(insights, ORDERS)
    await feed(insights, ORDERS)  # every event again: the inbox absorbs them
    database = insights.services.database

    assert await neighbours(database, "bought", ["A", "B", "C", "D"], 5) == {
        "A": ["B", "C"],
        "B": ["A"],
        "C": ["A"],
        "D": [],
    }
    assert await neighbours(database, "bought", ["A"], 1) == {"A": ["B"]}
    async with database.session() as session:
        assert await session.scalar(select(func.sum(CoPurchaseRow.orders))) == 6


async def test_co_views_pair_products_seen_in_one_session(insights: InsightsSubgraph) -> None:
    await feed(insights, VIEWS)
    assert await neighbours(insights.services.database, "viewed", ["A", "C"], 5) == {
        "A": ["B", "C"],
        "C": ["A", "B"],
    }


async def test_deleted_and_out_of_stock_products_are_not_recommended(
    insights: InsightsSubgraph,
) -> None:
    await feed(insights, ORDERS)
    database = insights.services.database
    await feed(insights, [product_change("product.created", "C", 3)])
    await feed(insights, [event("stock.changed", "C", {"stock": 0, "delta": -3}, NOW)])
    assert await neighbours(database, "bought", ["A"], 5) == {"A": ["B"]}

    await feed(insights, [product_change("product.deleted", "B", 4, deleted=True)])
    await feed(insights, [event("stock.changed", "C", {"stock": 2, "delta": 2}, NOW)])
    assert await neighbours(database, "bought", ["A"], 5) == {"A": ["C"]}


async def test_personal_recommendations_follow_what_the_user_bought_and_viewed(
    insights: InsightsSubgraph,
) -> None:
    await feed(insights, [*ORDERS, *VIEWS, *views("s9", "u3", ["E"])])
    database = insights.services.database
    today = NOW.date()
    # u3 bought A and C: B comes with A (2 orders, 2 sessions), never A or C again;
    # E was only viewed by u3, with nothing else.
    assert await personal(database, "u3", 2, today) == ["B", "E"]
    # u9 bought nothing and viewed A, B, C: neighbours of those, most shared first.
    assert await personal(database, "u9", 3, today) == ["A", "B", "C"]


async def test_anonymous_callers_get_the_popular_products_of_the_last_week(
    insights: InsightsSubgraph,
) -> None:
    old = NOW - timedelta(days=10)
    await feed(
        insights,
        [
            *views("a", None, ["P1"]),
            *views("b", None, ["P1", "P2"]),
            *views("c", None, ["P1"]),
            *views("d", None, ["P3"], at=old),
            *views("e", None, ["P3"], at=old),
            *views("f", None, ["P3"], at=old),
            *views("g", None, ["P3"], at=old),
        ],
    )
    assert await popular(insights.services.database, 10, NOW.date()) == ["P1", "P2"]


async def test_the_fields_read_the_counts(insights: InsightsSubgraph) -> None:
    await feed(insights, [*ORDERS, *VIEWS])
    entities = """
      query E($reps: [_Any!]!) { _entities(representations: $reps) { ... on Product {
        id frequentlyBoughtTogether { id } alsoViewed(first: 1) { id } } } }"""
    reps: list[dict[str, Any]] = [{"__typename": "Product", "id": i} for i in ("A", "C")]
    body = await insights.post(entities, {"reps": reps})
    assert body == {
        "data": {
            "_entities": [
                {
                    "id": "A",
                    "frequentlyBoughtTogether": [{"id": "B"}, {"id": "C"}],
                    "alsoViewed": [{"id": "B"}],
                },
                {"id": "C", "frequentlyBoughtTogether": [{"id": "A"}], "alsoViewed": [{"id": "A"}]},
            ]
        }
    }
    recommended = "query R($first: Int!) { recommendations(first: $first) { id } }"
    anonymous = await insights.post(recommended, {"first": 2})
    signed_in = await insights.post(recommended, {"first": 1}, insights.token("u1"))
    assert anonymous == {"data": {"recommendations": [{"id": "A"}, {"id": "B"}]}}
    assert signed_in == {"data": {"recommendations": [{"id": "C"}]}}
    staff = await insights.post(recommended, {"first": 0}, insights.token("s", Role.STAFF))
    assert [e["extensions"]["code"] for e in staff["errors"]] == ["INVALID_INPUT"]
