"""Rating aggregates: kept on the product row in the transaction of each review change.

Only PUBLISHED reviews count. Every change is an atomic increment of the
columns (never read-modify-write), so concurrent reviews of one product add up,
and reading a product's ratings is one row, never a COUNT or AVG over reviews.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.platform.database import Database
from subgraphs.social.domain import NO_RATINGS, Ratings
from subgraphs.social.models import ProductRow

_STARS = (
    ProductRow.stars_1,
    ProductRow.stars_2,
    ProductRow.stars_3,
    ProductRow.stars_4,
    ProductRow.stars_5,
)
# What `ratings_of` reads from a row: any statement selecting these can give ratings.
RATING_COLUMNS = (ProductRow.review_count, ProductRow.rating_sum, *_STARS)


async def count_rating(session: AsyncSession, product_id: str, rating: int, sign: int) -> None:
    """Adds (sign 1) or removes (sign -1) one published review of `rating` stars."""
    stars = _STARS[rating - 1]
    values: dict[Any, Any] = {
        ProductRow.review_count: ProductRow.review_count + sign,
        ProductRow.rating_sum: ProductRow.rating_sum + sign * rating,
        stars: stars + sign,
    }
    await session.execute(update(ProductRow).where(ProductRow.id == product_id).values(values))


def ratings_of(row: Any) -> Ratings:
    return Ratings(
        review_count=row.review_count,
        rating_sum=row.rating_sum,
        distribution=(row.stars_1, row.stars_2, row.stars_3, row.stars_4, row.stars_5),
    )


async def ratings_by_product(database: Database, ids: Sequence[str]) -> dict[str, Ratings]:
    """The ratings of every product among `ids`, in one statement; unknown ones have none."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    statement = select(ProductRow.id, *RATING_COLUMNS).where(ProductRow.id.in_(wanted))
    async with database.reading() as connection:
        rows = (await connection.execute(statement)).all()
    found = {row.id: ratings_of(row) for row in rows}
    return {product_id: found.get(product_id, NO_RATINGS) for product_id in wanted}
