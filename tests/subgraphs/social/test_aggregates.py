"""The kept aggregates equal a recomputation from scratch after any sequence of changes."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.errors import DomainError, InvalidInput
from subgraphs.social import reviews
from subgraphs.social.domain import ReviewChanges, ReviewStatus
from subgraphs.social.models import ProductRow, ReviewRow
from tests.subgraphs.social.conftest import SocialSubgraph

STAFF = Principal("user-staff-hypothesis", Role.STAFF)
KINDS = ("add", "update", "hide", "restore", "delete")
steps = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(0, 3),  # which user
        st.integers(0, 2),  # which product
        st.integers(1, 5),  # rating
    ),
    max_size=30,
)


async def _apply(
    social: SocialSubgraph, kind: str, author: Principal, product: str, rating: int
) -> None:
    services = social.services
    async with services.database.session() as session:
        review_id = await session.scalar(
            select(ReviewRow.id).where(
                ReviewRow.author_id == author.user_id, ReviewRow.product_id == product
            )
        )
    try:
        if kind == "add":
            await reviews.add_review(services, author, product, rating, f"{rating} stars")
        elif review_id is None:
            return
        elif kind == "update":
            await reviews.update_review(services, author, review_id, ReviewChanges(rating=rating))
        elif kind == "hide":
            await reviews.hide_review(services, STAFF, review_id, "property test")
        elif kind == "restore":
            await reviews.restore_review(services, STAFF, review_id)
        else:
            await reviews.delete_review(services, author, review_id)
    except (DomainError, InvalidInput):
        pass  # refusals (a second review, ...) are part of the sequence too


async def _kept_and_recomputed(
    social: SocialSubgraph, products: list[str]
) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    stars = [func.sum(func.cast(ReviewRow.rating == n, ReviewRow.rating.type)) for n in range(1, 6)]
    async with social.services.database.session() as session:
        kept_rows = await session.execute(
            select(
                ProductRow.id,
                ProductRow.review_count,
                ProductRow.rating_sum,
                ProductRow.stars_1,
                ProductRow.stars_2,
                ProductRow.stars_3,
                ProductRow.stars_4,
                ProductRow.stars_5,
            ).where(ProductRow.id.in_(products))
        )
        recomputed_rows = await session.execute(
            select(ReviewRow.product_id, func.count(), func.sum(ReviewRow.rating), *stars)
            .where(
                ReviewRow.product_id.in_(products),
                ReviewRow.status == ReviewStatus.PUBLISHED.value,
            )
            .group_by(ReviewRow.product_id)
        )
        kept = {row[0]: tuple(int(v) for v in row[1:]) for row in kept_rows}
        recomputed: dict[str, tuple[int, ...]] = {p: (0,) * 7 for p in products}
        recomputed.update({row[0]: tuple(int(v or 0) for v in row[1:]) for row in recomputed_rows})
    return kept, recomputed


@settings(
    max_examples=25,
    deadline=None,
    # The subgraph is started once for all examples; each example uses fresh ids.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sequence=steps)
async def test_aggregates_equal_a_recomputation(
    social: SocialSubgraph, sequence: list[tuple[str, int, int, int]]
) -> None:
    run = uuid.uuid4().hex[:8]
    products = [await social.product(f"{run}-product-{n}") for n in range(3)]
    users = [Principal(f"{run}-user-{n}", Role.CUSTOMER) for n in range(4)]
    for kind, user, product, rating in sequence:
        await _apply(social, kind, users[user], products[product], rating)
    kept, recomputed = await _kept_and_recomputed(social, products)
    assert kept == recomputed
    ratings = await social.ratings(*products)
    for entity in ratings:
        count, total = recomputed[entity["id"]][:2]
        assert entity["reviewCount"] == count
        assert entity["averageRating"] == (round(total / count, 2) if count else None)
        assert [d["count"] for d in entity["ratingDistribution"]] == list(
            recomputed[entity["id"]][2:]
        )
