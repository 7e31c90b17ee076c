"""Demo reviews by demo customers (`shopgraph seed`, first `dev` start): the same every run.

The seed is told the demo products and customers by its caller, since social
reads no other subgraph's tables; it records those products as catalog's
`product.created` would (the events, arriving later, then change nothing).
Reviews go through the same aggregate bookkeeping as any other.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from subgraphs.platform.database import dialect_insert
from subgraphs.platform.events import add_to_outbox
from subgraphs.social.domain import ReviewStatus
from subgraphs.social.events import REVIEW_CREATED, review_event
from subgraphs.social.listing import review_of
from subgraphs.social.models import HelpfulVoteRow, ProductRow, ReviewRow, outbox
from subgraphs.social.ratings import count_rating

if TYPE_CHECKING:
    from subgraphs.social.services import SocialServices

NAMESPACE = uuid.UUID("9d0e3c1b-6a2f-4e8b-8f4a-1c2d3e4f5a6b")
EPOCH = datetime(2026, 2, 1, tzinfo=UTC)
COMMENTS = {
    1: ("Fell apart within a week.", "Not as described. Sent it back."),
    2: ("Disappointing for the price.", "It works, barely."),
    3: ("Does the job, nothing more.", "Fine, but I expected a bit more."),
    4: ("Very good, one small flaw.", "Solid quality; would buy again."),
    5: ("Excellent. Exactly what I wanted.", "Best purchase this year.\nHighly recommended."),
}


def _draw(*parts: str) -> int:
    """A number that depends only on `parts`: the same review on every run."""
    return int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:4], "big")


async def seed_reviews(
    services: SocialServices, product_ids: Sequence[str], author_ids: Sequence[str]
) -> int:
    """Adds demo reviews when social has none yet; how many it added."""
    async with services.database.session() as session:
        if await session.scalar(select(func.count()).select_from(ReviewRow)):
            return 0
        for product_id in product_ids:
            await session.execute(
                dialect_insert(session, ProductRow)
                .values(id=product_id, review_count=0, rating_sum=0)
                .values(stars_1=0, stars_2=0, stars_3=0, stars_4=0, stars_5=0)
                .on_conflict_do_nothing(index_elements=["id"])
            )
        events = []
        for position, product_id in enumerate(product_ids):
            # Most products get a few reviews, some none; each product leans one way.
            count = _draw(product_id, "count") % (len(author_ids) // 2 + 1)
            lean = 2 + _draw(product_id, "lean") % 4
            first_author = _draw(product_id, "author") % len(author_ids)
            for n in range(count):
                author_id = author_ids[(first_author + n) % len(author_ids)]
                rating = max(1, min(5, lean + _draw(product_id, author_id, "rating") % 3 - 1))
                created = EPOCH + timedelta(hours=position, minutes=n * 7)
                row = ReviewRow(
                    id=str(uuid.uuid5(NAMESPACE, f"{product_id}/{author_id}")),
                    product_id=product_id,
                    author_id=author_id,
                    rating=rating,
                    comment=COMMENTS[rating][_draw(product_id, author_id) % 2],
                    status=ReviewStatus.PUBLISHED.value,
                    helpful_count=0,
                    verified_purchase=False,
                    created_at=created,
                    updated_at=created,
                )
                session.add(row)
                await count_rating(session, product_id, rating, 1)
                # A few other demo customers found it helpful, each with a real vote.
                for k in range(_draw(product_id, author_id, "helpful") % 4):
                    voter = author_ids[(first_author + n + 1 + k) % len(author_ids)]
                    if voter != author_id:
                        session.add(
                            HelpfulVoteRow(review_id=row.id, user_id=voter, created_at=created)
                        )
                        row.helpful_count += 1
                events.append(review_event(REVIEW_CREATED, review_of(row)))
        await session.flush()
        await add_to_outbox(session, outbox, events)
    services.relay.notify()
    return len(events)
