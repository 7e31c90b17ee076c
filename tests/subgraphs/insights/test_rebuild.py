"""Recommendations fed from the real Kafka-protocol broker: the log carries every event
twice and the counts still take each once; a rebuild replays the log into the same tables."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from sqlalchemy import select

from subgraphs.insights.models import CoPurchaseRow, CoViewRow, DailyPopularityRow, ProductStateRow
from subgraphs.insights.recommendations.consumer import running_recommender
from subgraphs.insights.recommendations.rebuild import rebuild
from subgraphs.platform.database import Database
from subgraphs.platform.events import KafkaBus, TopicRoutes
from tests.subgraphs.insights.conftest import InsightsSubgraph
from tests.subgraphs.insights.test_recommendations import ORDERS, VIEWS, product_change


async def snapshot(database: Database) -> dict[str, list[Any]]:
    tables = {
        "co_purchases": select(
            CoPurchaseRow.product_id, CoPurchaseRow.other_id, CoPurchaseRow.orders
        ),
        "co_views": select(CoViewRow.product_id, CoViewRow.other_id, CoViewRow.sessions),
        "popularity": select(DailyPopularityRow.product_id, DailyPopularityRow.score),
        "states": select(
            ProductStateRow.product_id, ProductStateRow.deleted, ProductStateRow.in_stock
        ),
    }
    async with database.session() as session:
        return {
            name: sorted(tuple(r) for r in await session.execute(q)) for name, q in tables.items()
        }


async def test_the_log_feeds_counts_once_and_a_rebuild_gives_the_same_tables(
    kafka_url: str, insights: InsightsSubgraph
) -> None:
    suffix = secrets.token_hex(4)
    routes = TopicRoutes(
        {
            "order.*": f"t.commerce.{suffix}",
            "product.*": f"t.catalog.{suffix}",
            "stock.*": f"t.catalog.{suffix}",
            "product.viewed": f"t.tracking.{suffix}",
        }
    )
    log = KafkaBus(kafka_url, routes, idempotence=False, session_timeout_ms=2000)
    await log.start()
    database = insights.services.database
    events = [*ORDERS, *VIEWS, product_change("product.created", "C", 0)]
    try:
        await log.publish(events)
        await log.publish(events)  # a relay that published every batch twice
        group_events = len(events)
        async with running_recommender(database, log):
            live = await until_complete(database)
        assert live["co_purchases"] == [
            ("A", "B", 2), ("A", "C", 1), ("B", "A", 2), ("C", "A", 1),
        ]  # fmt: skip
        assert live["states"] == [("C", False, False)]
        applied = await rebuild(database, log)
        assert applied == 2 * group_events
        assert await snapshot(database) == live
    finally:
        await log.close()


async def until_complete(database: Database) -> dict[str, list[Any]]:
    """The tables once every event was applied: 3 paid orders (6 directed pairs), the
    co-views of sessions s1 and s2 (8), 7 views plus 6 bought products, and C's state."""
    async with asyncio.timeout(30):
        while True:
            live = await snapshot(database)
            totals = (
                sum(r[2] for r in live["co_purchases"]),
                sum(r[2] for r in live["co_views"]),
                sum(r[1] for r in live["popularity"]),
                len(live["states"]),
            )
            if totals == (6, 8, 13, 1):
                return live
            await asyncio.sleep(0.1)
