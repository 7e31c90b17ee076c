"""Categories: few, read whole."""

from __future__ import annotations

from sqlalchemy import select

from subgraphs.catalog.domain import Category
from subgraphs.catalog.models import CategoryRow
from subgraphs.platform.database import Database


async def all_categories(database: Database) -> list[Category]:
    async with database.session() as session:
        rows = (await session.scalars(select(CategoryRow).order_by(CategoryRow.name))).all()
    return [Category(row.id, row.name, row.slug) for row in rows]
