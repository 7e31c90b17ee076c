"""The reads behind the recommendation fields: a few indexed queries on insights' own
tables, never a scan of the analytics store.

- `neighbours`: for a batch of products, each one's top co-purchased or co-viewed
  products (one statement per batch: a window over the pair table);
- `personal`: products most often bought or viewed with the ones the user bought
  or viewed, minus what they bought already, topped up with popular ones;
- `popular`: views plus paid purchases over the last 7 days.

Every list leaves out products catalog said are deleted or out of stock.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import and_, desc, func, or_, select, union_all

from subgraphs.insights.models import (
    CoPurchaseRow,
    CoViewRow,
    DailyPopularityRow,
    ProductStateRow,
    UserProductRow,
)
from subgraphs.platform.database import Database

POPULAR_DAYS = 7
Relation = Literal["bought", "viewed"]


def _available(column: Any) -> Any:
    """A join condition and filter keeping products that may be recommended."""
    return or_(
        ProductStateRow.product_id.is_(None),
        and_(ProductStateRow.deleted.is_(False), ProductStateRow.in_stock.is_(True)),
    ), ProductStateRow.product_id == column


async def neighbours(
    database: Database, relation: Relation, product_ids: Collection[str], first: int
) -> dict[str, list[str]]:
    table = CoPurchaseRow if relation == "bought" else CoViewRow
    count = CoPurchaseRow.orders if relation == "bought" else CoViewRow.sessions
    keep, join_on = _available(table.other_id)
    rank = (
        func.row_number()
        .over(partition_by=table.product_id, order_by=[count.desc(), table.other_id.asc()])
        .label("rank")
    )
    ranked = (
        select(table.product_id, table.other_id, rank)
        .outerjoin(ProductStateRow, join_on)
        .where(table.product_id.in_(list(product_ids)), keep)
        .subquery()
    )
    query = (
        select(ranked.c.product_id, ranked.c.other_id)
        .where(ranked.c.rank <= first)
        .order_by(ranked.c.product_id, ranked.c.rank)
    )
    found: dict[str, list[str]] = {product_id: [] for product_id in product_ids}
    async with database.session() as session:
        for product_id, other_id in await session.execute(query):
            found[product_id].append(other_id)
    return found


async def popular(
    database: Database, first: int, today: date, exclude: Collection[str] = ()
) -> list[str]:
    keep, join_on = _available(DailyPopularityRow.product_id)
    score = func.sum(DailyPopularityRow.score)
    query = (
        select(DailyPopularityRow.product_id)
        .outerjoin(ProductStateRow, join_on)
        .where(
            DailyPopularityRow.day > (today - timedelta(days=POPULAR_DAYS)).isoformat(),
            keep,
        )
        .group_by(DailyPopularityRow.product_id)
        .order_by(desc(score), DailyPopularityRow.product_id)
        .limit(first + len(exclude))
    )
    if exclude:
        query = query.where(DailyPopularityRow.product_id.not_in(list(exclude)))
    async with database.session() as session:
        return list(await session.scalars(query))[:first]


async def personal(database: Database, user_id: str, first: int, today: date) -> list[str]:
    async with database.session() as session:
        mine = list(
            await session.execute(
                select(UserProductRow.product_id, UserProductRow.bought).where(
                    UserProductRow.user_id == user_id
                )
            )
        )
    seeds = [product_id for product_id, _ in mine]
    bought = {product_id for product_id, was_bought in mine if was_bought}
    chosen: list[str] = []
    if seeds:
        pairs = union_all(
            select(CoPurchaseRow.other_id, CoPurchaseRow.orders.label("score")).where(
                CoPurchaseRow.product_id.in_(seeds)
            ),
            select(CoViewRow.other_id, CoViewRow.sessions.label("score")).where(
                CoViewRow.product_id.in_(seeds)
            ),
        ).subquery()
        keep, join_on = _available(pairs.c.other_id)
        total = func.sum(pairs.c.score)
        query = (
            select(pairs.c.other_id)
            .outerjoin(ProductStateRow, join_on)
            .where(keep)
            .group_by(pairs.c.other_id)
            .order_by(desc(total), pairs.c.other_id)
        )
        if bought:
            query = query.where(pairs.c.other_id.not_in(sorted(bought)))
        async with database.session() as session:
            chosen = list(await session.scalars(query.limit(first)))
    if len(chosen) < first:
        chosen += await popular(database, first - len(chosen), today, {*bought, *chosen})
    return chosen
