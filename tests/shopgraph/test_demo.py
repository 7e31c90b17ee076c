"""`shopgraph seed`: the demo shop, with demo customers and their reviews, the same every run."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from typer.testing import CliRunner

from shopgraph.cli import app
from shopgraph.demo import seed
from subgraphs.platform.resources import open_platform
from subgraphs.platform.settings import Settings
from subgraphs.social.models import HelpfulVoteRow, ProductRow, ReviewRow
from subgraphs.social.services import open_services
from tests.shopgraph.test_cli import _env

runner = CliRunner()


async def _reviews(settings: Settings) -> tuple[list[tuple[str, ...]], list[tuple[int, ...]]]:
    """Every review (id, product, author, rating, comment, helpful) and every product's
    aggregates next to a recomputation from the reviews."""
    async with (
        open_platform(settings) as platform,
        open_services(platform) as social,
        social.database.session() as session,
    ):
        reviews = [
            tuple(str(v) for v in row)
            for row in await session.execute(
                select(
                    ReviewRow.id,
                    ReviewRow.product_id,
                    ReviewRow.author_id,
                    ReviewRow.rating,
                    ReviewRow.comment,
                    ReviewRow.helpful_count,
                ).order_by(ReviewRow.id)
            )
        ]
        votes = await session.scalar(select(func.count()).select_from(HelpfulVoteRow))
        helpful = await session.scalar(select(func.sum(ReviewRow.helpful_count)))
        assert votes == helpful
        kept = (
            await session.execute(
                select(
                    func.count(ProductRow.id),
                    func.sum(ProductRow.review_count),
                    func.sum(ProductRow.rating_sum),
                )
            )
        ).one()
        recomputed = (
            await session.execute(
                select(
                    func.count(func.distinct(ReviewRow.product_id)),
                    func.count(),
                    func.sum(ReviewRow.rating),
                )
            )
        ).one()
    return reviews, [tuple(kept), tuple(recomputed)]


def test_seed_adds_the_demo_shop_once_and_the_same_every_time(settings: Settings) -> None:
    env = _env(settings)
    first = runner.invoke(app, ["seed"], env=env)
    assert first.exit_code == 0, first.output
    assert "seeded 240 demo products" in first.output
    assert "demo reviews by demo customers" in first.output
    again = runner.invoke(app, ["seed"], env=env)
    assert again.exit_code == 0, again.output
    assert "social already has reviews; no reviews seeded" in again.output

    reviews, (kept, recomputed) = asyncio.run(_reviews(settings))
    assert len(reviews) > 240  # a few per product on average
    assert kept[0] == 240  # social knows every demo product
    assert kept[1:] == recomputed[1:]  # the aggregates match the reviews

    # Another installation seeds exactly the same reviews (on SQLite: a second data
    # directory is a second installation; on PostgreSQL both would share the database).
    elsewhere = settings.model_copy(update={"data_dir": settings.data_dir.parent / "other"})
    if settings.database_url is None:
        asyncio.run(seed(elsewhere))
        assert asyncio.run(_reviews(elsewhere))[0] == reviews
