"""The reads behind the recommendation fields: bounded index reads on insights' own tables,
never a scan of the analytics store.

- `neighbours`: for a batch of products, each one's top co-purchased or co-viewed
  products. One statement per batch: per product, a LIMIT read of the pair index
  (product, count DESC, other), which stops after `first` available rows.
- `personal`: item-to-item over the user's `SEEDS` most bought or viewed products:
  each seed's top `PER_SEED` neighbours in both pair tables, summed per product,
  minus what the user bought, topped up with popular products. On PostgreSQL that
  is one prebuilt statement (LATERAL per seed) and one round trip; SQLite reads the
  user's products, then the pairs.
- `popular`: views plus paid purchases over the last 7 days. It is an aggregate
  over a week of rows, so `popular_cached` keeps the top `MAX_FIRST` in the shared
  cache for `POPULAR_TTL_SECONDS`: anonymous visitors see a list up to a minute old.

Every list leaves out products catalog said are deleted or out of stock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import date, timedelta
from typing import Any, Literal

import orjson
from sqlalchemy import Select, and_, bindparam, desc, func, or_, select, true, union_all

from subgraphs.insights.models import (
    CoPurchaseRow,
    CoViewRow,
    DailyPopularityRow,
    ProductStateRow,
    UserProductRow,
)
from subgraphs.platform.cache import Cache
from subgraphs.platform.database import Database

POPULAR_DAYS = 7
POPULAR_TTL_SECONDS = 60
MAX_FIRST = 50
SEEDS = 10
PER_SEED = 10
Relation = Literal["bought", "viewed"]


def _available(column: Any) -> tuple[Any, Any]:
    """A filter keeping products that may be recommended, and the join it needs."""
    keep = or_(
        ProductStateRow.product_id.is_(None),
        and_(ProductStateRow.deleted.is_(False), ProductStateRow.in_stock.is_(True)),
    )
    return keep, ProductStateRow.product_id == column


def _top_pairs(relation: Relation, product_ids: Sequence[str], first: int) -> Any:
    """(product_id, other_id, count) rows: each product's `first` best available pairs."""
    table: Any = CoPurchaseRow if relation == "bought" else CoViewRow
    count = table.orders if relation == "bought" else table.sessions
    keep, join_on = _available(table.other_id)
    parts = [
        select(table.product_id, table.other_id, count.label("count"))
        .outerjoin(ProductStateRow, join_on)
        .where(table.product_id == product_id, keep)
        .order_by(desc(count), table.other_id)
        .limit(first)
        .subquery()
        for product_id in product_ids
    ]
    return union_all(*(select(part) for part in parts))


async def neighbours(
    database: Database, relation: Relation, product_ids: Collection[str], first: int
) -> dict[str, list[str]]:
    ids = sorted(set(product_ids))
    found: dict[str, list[str]] = {product_id: [] for product_id in ids}
    if not ids:
        return found
    async with database.session() as session:
        rows = list(await session.execute(_top_pairs(relation, ids, first)))
    # Each part came back in its own order; keep it within each product.
    for product_id, other_id, _ in rows:
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
    async with database.session() as session:
        ranked = list(await session.scalars(query))
    return [p for p in ranked if p not in exclude][:first]


async def popular_cached(
    cache: Cache, database: Database, first: int, today: date, exclude: Collection[str] = ()
) -> list[str]:
    """`popular`, from a list computed at most `POPULAR_TTL_SECONDS` ago."""
    key = f"insights:popular:{today.isoformat()}"
    cached = await cache.get(key)
    if cached is None:
        ranked = await popular(database, MAX_FIRST + SEEDS, today)
        await cache.set(key, orjson.dumps(ranked), POPULAR_TTL_SECONDS)
    else:
        ranked = orjson.loads(cached)
    kept = [p for p in ranked if p not in exclude]
    if len(kept) >= first or len(ranked) < MAX_FIRST + SEEDS:
        return kept[:first]
    return await popular(database, first, today, exclude)  # excluded too many: ask afresh


def _seeds(user_id: Any) -> Select[Any]:
    """The user's `SEEDS` most bought, then most viewed, products."""
    return (
        select(UserProductRow.product_id)
        .where(UserProductRow.user_id == user_id)
        .order_by(
            desc(UserProductRow.bought), desc(UserProductRow.views), UserProductRow.product_id
        )
        .limit(SEEDS)
    )


def _bought(user_id: Any) -> Select[Any]:
    return select(UserProductRow.product_id).where(
        UserProductRow.user_id == user_id, UserProductRow.bought.is_(True)
    )


def _personal_by_lateral() -> Select[Any]:
    """PostgreSQL: the whole item-to-item ranking in one statement, the same for every
    call (so compiled once): per seed, walk each pair index and stop after `PER_SEED`
    available rows; sum per product; leave out what the user bought."""
    user_id: Any = bindparam("user_id")
    seeds = _seeds(user_id).subquery("seeds")
    parts = []
    for table, count in ((CoPurchaseRow, CoPurchaseRow.orders), (CoViewRow, CoViewRow.sessions)):
        keep, join_on = _available(table.other_id)
        top = (
            select(table.other_id, count.label("count"))
            .outerjoin(ProductStateRow, join_on)
            .where(table.product_id == seeds.c.product_id, keep)
            .order_by(desc(count), table.other_id)
            .limit(PER_SEED)
            .lateral()
        )
        parts.append(select(top.c.other_id, top.c.count).select_from(seeds).join(top, true()))
    pairs = union_all(*parts).subquery("pairs")
    score = func.sum(pairs.c.count)
    return (
        select(pairs.c.other_id)
        .where(pairs.c.other_id.not_in(_bought(user_id)))
        .group_by(pairs.c.other_id)
        .order_by(desc(score), pairs.c.other_id)
        .limit(bindparam("first"))
    )


_PERSONAL_BY_LATERAL = _personal_by_lateral()


async def _personal_ranked(
    database: Database, user_id: str, first: int
) -> tuple[list[str], set[str] | None]:
    """The ranked products, and the user's bought set (None if not read yet)."""
    if not database.is_sqlite:
        async with database.reading() as connection:
            found = await connection.scalars(
                _PERSONAL_BY_LATERAL, {"user_id": user_id, "first": first}
            )
            return list(found), None
    async with database.session() as session:
        mine = list(
            await session.execute(
                select(UserProductRow.product_id, UserProductRow.bought)
                .where(UserProductRow.user_id == user_id)
                .order_by(
                    desc(UserProductRow.bought),
                    desc(UserProductRow.views),
                    UserProductRow.product_id,
                )
            )
        )
        bought = {product_id for product_id, was_bought in mine if was_bought}
        seeds = [product_id for product_id, _ in mine[:SEEDS]]
        scores: Counter[str] = Counter()
        if seeds:
            pairs = union_all(
                _top_pairs("bought", seeds, PER_SEED).subquery().select(),
                _top_pairs("viewed", seeds, PER_SEED).subquery().select(),
            )
            for _, other_id, count in await session.execute(pairs):
                scores[other_id] += count
    ranked = sorted((p for p in scores if p not in bought), key=lambda p: (-scores[p], p))
    return ranked[:first], bought


async def personal(
    database: Database, user_id: str, first: int, today: date, cache: Cache | None = None
) -> list[str]:
    chosen, bought = await _personal_ranked(database, user_id, first)
    if len(chosen) < first:
        if bought is None:
            async with database.reading() as connection:
                bought = set(await connection.scalars(_bought(user_id)))
        exclude = {*bought, *chosen}
        more = (
            await popular_cached(cache, database, first - len(chosen), today, exclude)
            if cache is not None
            else await popular(database, first - len(chosen), today, exclude)
        )
        chosen += more
    return chosen
