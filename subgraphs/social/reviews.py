"""Writing reviews: add, update, delete, moderate and mark helpful.

Each change, the rating aggregates it moves and its event are written in one
transaction. The review row is locked first (PostgreSQL; SQLite transactions
run one at a time), so two changes of one review never both count it.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.columns import utc_now
from subgraphs.platform.database import dialect_insert
from subgraphs.platform.errors import DomainError, InvalidInput
from subgraphs.platform.events import add_to_outbox
from subgraphs.social.domain import (
    ModerationAction,
    Review,
    ReviewChanges,
    ReviewErrorCode,
    ReviewStatus,
    check_rating,
    clean_comment,
    clean_reason,
    refusal,
)
from subgraphs.social.events import (
    REVIEW_CREATED,
    REVIEW_DELETED,
    REVIEW_HIDDEN,
    REVIEW_RESTORED,
    REVIEW_UPDATED,
    review_event,
)
from subgraphs.social.listing import review_of
from subgraphs.social.models import HelpfulVoteRow, ModerationRow, ProductRow, ReviewRow, outbox
from subgraphs.social.purchases import has_paid_for, lock_buyer
from subgraphs.social.ratings import count_rating

if TYPE_CHECKING:
    from subgraphs.social.services import SocialServices


class AlreadyReviewed(DomainError):
    """A second review of one product by one user; carries the first one."""

    def __init__(self, review: Review) -> None:
        super().__init__(
            ReviewErrorCode.ALREADY_REVIEWED,
            f"you have already reviewed this product (review {review.id})",
            ["input", "productId"],
        )
        self.review = review


def signed_in(principal: Principal | None) -> Principal:
    if principal is None:
        raise refusal(ReviewErrorCode.UNAUTHENTICATED, "sign in first")
    return principal


def _staff(principal: Principal | None) -> Principal:
    caller = signed_in(principal)
    if not caller.is_staff:
        raise refusal(ReviewErrorCode.FORBIDDEN, "only staff may moderate reviews")
    return caller


def _not_found() -> DomainError:
    return refusal(ReviewErrorCode.REVIEW_NOT_FOUND, "there is no such review", ["id"])


def _checked(errors: list[DomainError]) -> None:
    if errors:
        raise InvalidInput(errors)


def _input_errors(rating: int | None, comment: str | None) -> tuple[list[DomainError], str | None]:
    """Every problem of a rating and comment at once, and the comment as it will be stored."""
    errors: list[DomainError] = []
    cleaned = None
    if rating is not None:
        try:
            check_rating(rating, ["input", "rating"])
        except DomainError as error:
            errors.append(error)
    if comment is not None:
        try:
            cleaned = clean_comment(comment, ["input", "comment"])
        except DomainError as error:
            errors.append(error)
    return errors, cleaned


async def _existing(session: AsyncSession, author_id: str, product_id: str) -> ReviewRow | None:
    return await session.scalar(
        select(ReviewRow).where(
            ReviewRow.author_id == author_id, ReviewRow.product_id == product_id
        )
    )


async def add_review(
    services: SocialServices,
    principal: Principal | None,
    product_id: str,
    rating: int,
    comment: str,
) -> Review:
    author = signed_in(principal)
    errors, cleaned = _input_errors(rating, comment)
    _checked(errors)
    async with services.database.session() as session:
        existing = await _existing(session, author.user_id, product_id)
    if existing is not None:
        raise AlreadyReviewed(review_of(existing))
    # Counted before writing, so a burst of requests cannot slip past the limit;
    # a retry of a review that went through is answered above and costs nothing.
    limiter = services.review_limiter
    if await limiter.hit(author.user_id) > limiter.limit:
        wait = await limiter.retry_after(author.user_id)
        raise refusal(ReviewErrorCode.RATE_LIMITED, f"too many reviews; try again in {wait:.0f} s")
    now = utc_now()
    async with services.database.session() as session:
        await lock_buyer(session, author.user_id)
        product = await session.get(ProductRow, product_id)
        if product is None or product.deleted_at is not None:
            raise refusal(
                ReviewErrorCode.PRODUCT_NOT_FOUND,
                "there is no such product",
                ["input", "productId"],
            )
        values = {
            "id": str(uuid.uuid4()),
            "product_id": product_id,
            "author_id": author.user_id,
            "rating": rating,
            "comment": cleaned or "",
            "status": ReviewStatus.PUBLISHED.value,
            "helpful_count": 0,
            "verified_purchase": await has_paid_for(session, author.user_id, product_id),
            "created_at": now,
            "updated_at": now,
        }
        # The unique key decides between racing requests: the loser inserts nothing.
        inserted = await session.scalar(
            dialect_insert(session, ReviewRow)
            .values(values)
            .on_conflict_do_nothing(index_elements=["author_id", "product_id"])
            .returning(ReviewRow.id)
        )
        if inserted is None:
            first = await _existing(session, author.user_id, product_id)
            if first is None:  # deleted again since: the client may simply retry
                raise refusal(ReviewErrorCode.ALREADY_REVIEWED, "try again")
            raise AlreadyReviewed(review_of(first))
        await count_rating(session, product_id, rating, 1)
        review = await _written(session, await _locked(session, services, inserted), REVIEW_CREATED)
    services.relay.notify()
    return review


async def _written(
    session: AsyncSession, row: ReviewRow, kind: str, **extra: str | int | None
) -> Review:
    """The review as this transaction wrote it, with its event in the same transaction."""
    await session.flush()
    review = review_of(row)
    await add_to_outbox(session, outbox, [review_event(kind, review, **extra)])
    return review


async def _locked(session: AsyncSession, services: SocialServices, review_id: str) -> ReviewRow:
    row = await session.get(
        ReviewRow,
        review_id,
        with_for_update=not services.database.is_sqlite,
        populate_existing=True,
    )
    if row is None:
        raise _not_found()
    return row


def _owned(row: ReviewRow, caller: Principal, *, staff_may: bool) -> None:
    """Refuses a caller who may not change `row`; a hidden review stays invisible to them."""
    if row.author_id == caller.user_id or (staff_may and caller.is_staff):
        return
    if row.status != ReviewStatus.PUBLISHED.value and not caller.is_staff:
        raise _not_found()
    raise refusal(ReviewErrorCode.FORBIDDEN, "this review is not yours")


async def update_review(
    services: SocialServices, principal: Principal | None, review_id: str, changes: ReviewChanges
) -> Review:
    caller = signed_in(principal)
    errors, cleaned = _input_errors(changes.rating, changes.comment)
    _checked(errors)
    async with services.database.session() as session:
        row = await _locked(session, services, review_id)
        _owned(row, caller, staff_may=False)
        before = review_of(row)
        rating = changes.rating if changes.rating is not None else row.rating
        comment = cleaned if cleaned is not None else row.comment
        if (rating, comment) == (row.rating, row.comment):
            return before  # nothing changes: a retry of an update that went through
        if rating != row.rating and row.status == ReviewStatus.PUBLISHED.value:
            await count_rating(session, row.product_id, row.rating, -1)
            await count_rating(session, row.product_id, rating, 1)
        row.rating, row.comment, row.updated_at = rating, comment, utc_now()
        review = await _written(session, row, REVIEW_UPDATED, previousRating=before.rating)
    services.relay.notify()
    return review


async def delete_review(
    services: SocialServices, principal: Principal | None, review_id: str
) -> str:
    caller = signed_in(principal)
    async with services.database.session() as session:
        row = await _locked(session, services, review_id)
        _owned(row, caller, staff_may=True)
        review = review_of(row)
        if review.published:
            await count_rating(session, row.product_id, row.rating, -1)
        await session.delete(row)
        await session.flush()
        event = review_event(REVIEW_DELETED, review, actorId=caller.user_id)
        await add_to_outbox(session, outbox, [event])
    services.relay.notify()
    return review_id


async def hide_review(
    services: SocialServices, principal: Principal | None, review_id: str, reason: str
) -> Review:
    return await _moderate(services, _staff(principal), review_id, clean_reason(reason))


async def restore_review(
    services: SocialServices, principal: Principal | None, review_id: str
) -> Review:
    return await _moderate(services, _staff(principal), review_id, None)


async def _moderate(
    services: SocialServices, staff: Principal, review_id: str, reason: str | None
) -> Review:
    """Hides (with a reason) or restores (without) a review, recording who and why."""
    hiding = reason is not None
    target = ReviewStatus.HIDDEN if hiding else ReviewStatus.PUBLISHED
    async with services.database.session() as session:
        row = await _locked(session, services, review_id)
        if row.status == target.value:
            return review_of(row)  # already so: a retry changes nothing
        await count_rating(session, row.product_id, row.rating, -1 if hiding else 1)
        row.status = target.value
        action = ModerationAction.HIDDEN if hiding else ModerationAction.RESTORED
        session.add(
            ModerationRow(
                id=str(uuid.uuid4()),
                review_id=row.id,
                action=action.value,
                actor_id=staff.user_id,
                reason=reason,
                created_at=utc_now(),
            )
        )
        kind = REVIEW_HIDDEN if hiding else REVIEW_RESTORED
        review = await _written(session, row, kind, actorId=staff.user_id, reason=reason)
    services.relay.notify()
    return review


async def mark_helpful(
    services: SocialServices, principal: Principal | None, review_id: str
) -> Review:
    """Counts the caller's vote once; voting again answers the review unchanged."""
    voter = signed_in(principal)
    async with services.database.session() as session:
        row = await _locked(session, services, review_id)
        if row.author_id == voter.user_id:
            raise refusal(ReviewErrorCode.OWN_REVIEW, "you cannot mark your own review helpful")
        if row.status != ReviewStatus.PUBLISHED.value:
            raise _not_found()
        vote = {"review_id": row.id, "user_id": voter.user_id, "created_at": utc_now()}
        inserted = await session.scalar(
            dialect_insert(session, HelpfulVoteRow)
            .values(vote)
            .on_conflict_do_nothing(index_elements=["review_id", "user_id"])
            .returning(HelpfulVoteRow.user_id)
        )
        if inserted is not None:
            await session.execute(
                update(ReviewRow)
                .where(ReviewRow.id == row.id)
                .values(helpful_count=ReviewRow.helpful_count + 1)
            )
            await session.refresh(row)
        return review_of(row)
