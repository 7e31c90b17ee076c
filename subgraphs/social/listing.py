"""Reading reviews: by id in batches, and in keyset pages per product or per author.

Every sort orders by its own column, then newest first, then id, so the order
is total and a cursor (the last review's sort values) finds the next page
exactly however many reviews are added meanwhile. The pages of many products
come from one statement: a window numbers each product's reviews in sort order
and the first `first + 1` of each are kept; the product row beside them carries
the total, which is the PUBLISHED count kept with the ratings, and the ratings
themselves, so a product card asking for both costs one statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
    true,
)

from subgraphs.platform.database import Database
from subgraphs.platform.pagination import decode_cursor, encode_cursor
from subgraphs.social.domain import (
    NO_RATINGS,
    Moderation,
    ModerationAction,
    Ratings,
    Review,
    ReviewErrorCode,
    ReviewSort,
    ReviewStatus,
    refusal,
)
from subgraphs.social.models import ModerationRow, ProductRow, ReviewRow
from subgraphs.social.ratings import RATING_COLUMNS, ratings_of

MAX_PAGE = 100

# The column each sort puts first, and whether it runs from high to low.
_LEADING: dict[ReviewSort, tuple[Any, bool] | None] = {
    ReviewSort.NEWEST: None,
    ReviewSort.HELPFUL: (ReviewRow.helpful_count, True),
    ReviewSort.RATING_DESC: (ReviewRow.rating, True),
    ReviewSort.RATING_ASC: (ReviewRow.rating, False),
}


@dataclass(frozen=True, slots=True)
class PageRequest:
    """A checked `first`/`after`/`sort`; hashable, so pages asked alike batch together."""

    first: int
    sort: ReviewSort
    after: tuple[int | None, datetime, str] | None = None
    cursor: str | None = None  # `after` as the client sent it


@dataclass(frozen=True, slots=True)
class ProductReviews:
    """A product's ratings, and one page of its reviews when one was asked for."""

    ratings: Ratings
    page: ReviewPage | None = None


@dataclass(frozen=True, slots=True)
class ReviewPage:
    reviews: tuple[Review, ...]
    cursors: tuple[str, ...]
    has_next_page: bool
    total: int


EMPTY_PAGE = ReviewPage((), (), False, 0)


def page_request(first: int, after: str | None, sort: ReviewSort) -> PageRequest:
    """Checks the page arguments; INVALID_PAGE_SIZE or INVALID_CURSOR when they are wrong."""
    if not 0 <= first <= MAX_PAGE:
        raise refusal(
            ReviewErrorCode.INVALID_PAGE_SIZE,
            f"first must be between 0 and {MAX_PAGE}",
            ["first"],
        )
    if after is None:
        return PageRequest(first, sort)
    sort_name, leading, created_text, review_id = decode_cursor(after, 4)
    bad = refusal(
        ReviewErrorCode.INVALID_CURSOR, "this cursor is not valid for this list", ["after"]
    )
    if sort_name != sort.value or not isinstance(created_text, str):
        raise bad
    if not isinstance(review_id, str) or not (leading is None or type(leading) is int):
        raise bad
    if (leading is None) != (_LEADING[sort] is None):
        raise bad
    try:
        created = datetime.fromisoformat(created_text)
    except ValueError as error:
        raise bad from error
    if created.tzinfo is None:
        raise bad
    return PageRequest(first, sort, (leading, created, review_id), after)


def _order(sort: ReviewSort, table: Any) -> list[Any]:
    leading = _LEADING[sort]
    order = []
    if leading is not None:
        column = getattr(table, leading[0].key)
        order.append(column.desc() if leading[1] else column.asc())
    return [*order, table.created_at.desc(), table.id.desc()]


def _after(request: PageRequest) -> ColumnElement[bool]:
    """Rows strictly past the cursor in the sort's order."""
    if request.after is None:
        return true()
    return _past(request.sort, *request.after)


def _past(
    sort: ReviewSort, leading_value: Any, created: Any, review_id: Any
) -> ColumnElement[bool]:
    """Rows strictly past these sort values (expanded: directions differ); the values
    are plain ones or bound parameters."""
    keys: list[tuple[Any, bool, object]] = []
    leading = _LEADING[sort]
    if leading is not None:
        keys.append((leading[0], leading[1], leading_value))
    keys += [(ReviewRow.created_at, True, created), (ReviewRow.id, True, review_id)]
    alternatives = []
    for position, (column, descending, value) in enumerate(keys):
        same = [c == v for c, _, v in keys[:position]]
        beyond = column < value if descending else column > value
        alternatives.append(and_(*same, beyond))
    return or_(*alternatives)


def cursor_of(review: Review, sort: ReviewSort) -> str:
    leading = _LEADING[sort]
    value = None if leading is None else getattr(review, leading[0].key)
    return encode_cursor([sort.value, value, review.created_at.isoformat(), review.id])


def review_of(row: Any) -> Review:
    return Review(
        id=row.id,
        product_id=row.product_id,
        author_id=row.author_id,
        rating=row.rating,
        comment=row.comment,
        status=ReviewStatus(row.status),
        helpful_count=row.helpful_count,
        verified_purchase=row.verified_purchase,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _page(reviews: list[Review], request: PageRequest, total: int) -> ReviewPage:
    shown = tuple(reviews[: request.first])
    return ReviewPage(
        reviews=shown,
        cursors=tuple(cursor_of(review, request.sort) for review in shown),
        has_next_page=len(reviews) > request.first,
        total=total,
    )


# The product pages statement takes its products, page size and cursor as parameters,
# so each shape is built (and its cache key worked out) once, not once per batch.
_WANTED: BindParameter[str] = bindparam("wanted", expanding=True)
_KEEP = bindparam("keep", type_=Integer)  # first + 1: one more tells there is a next page
_PAST = (
    bindparam("after_leading", type_=Integer),
    bindparam("after_created", type_=ReviewRow.created_at.type),
    bindparam("after_id", type_=ReviewRow.id.type),
)


def _past_cursor(sort: ReviewSort, after: bool) -> ColumnElement[bool]:
    return _past(sort, *_PAST) if after else true()


def _by_window(sort: ReviewSort, after: bool) -> Select[Any]:
    """SQLite has no LATERAL: number each product's reviews in sort order, keep the first."""
    reviews = ReviewRow.__table__
    position = (
        func.row_number()
        .over(partition_by=reviews.c.product_id, order_by=_order(sort, reviews.c))
        .label("position")
    )
    ranked = (
        select(*reviews.c, position)
        .where(
            reviews.c.product_id.in_(_WANTED),
            reviews.c.status == ReviewStatus.PUBLISHED.value,
            _past_cursor(sort, after),
        )
        .subquery("ranked")
    )
    keep = and_(ranked.c.product_id == ProductRow.id, ranked.c.position <= _KEEP)
    return (
        select(
            ProductRow.id.label("product"),
            ProductRow.review_count.label("total"),
            *RATING_COLUMNS,
            *(ranked.c[column.key] for column in reviews.c),
        )
        .select_from(ProductRow)
        .outerjoin(ranked, keep)
        .where(ProductRow.id.in_(_WANTED))
        .order_by(ProductRow.id, ranked.c.position)
    )


def _by_lateral(sort: ReviewSort, after: bool) -> Select[Any]:
    """PostgreSQL: per product, walk its sort's index and stop after `first + 1` reviews."""
    reviews = ReviewRow.__table__
    page = (
        select(*reviews.c)
        .where(
            reviews.c.product_id == ProductRow.id,
            reviews.c.status == ReviewStatus.PUBLISHED.value,
            _past_cursor(sort, after),
        )
        .order_by(*_order(sort, reviews.c))
        .limit(_KEEP)
        .lateral("page")
    )
    return (
        select(
            ProductRow.id.label("product"),
            ProductRow.review_count.label("total"),
            *RATING_COLUMNS,
            *page.c,
        )
        .select_from(ProductRow)
        .outerjoin(page, true())
        .where(ProductRow.id.in_(_WANTED))
        .order_by(ProductRow.id, *_order(sort, page.c))
    )


# By (sort, whether a cursor is given, SQLite or not).
_PRODUCT_PAGES = {
    (sort, after, sqlite): (_by_window if sqlite else _by_lateral)(sort, after)
    for sort in ReviewSort
    for after in (False, True)
    for sqlite in (False, True)
}


def _page_parameters(wanted: list[str], request: PageRequest) -> dict[str, Any]:
    parameters: dict[str, Any] = {"wanted": wanted, "keep": request.first + 1}
    if request.after is not None:
        names = ("after_leading", "after_created", "after_id")
        parameters.update(zip(names, request.after, strict=True))
    return parameters


async def product_pages(
    database: Database, product_ids: Sequence[str], request: PageRequest
) -> dict[str, ProductReviews]:
    """The ratings and one page of PUBLISHED reviews of each of `product_ids`, all in one
    statement; unknown products have no ratings and an empty page."""
    wanted = list(dict.fromkeys(product_ids))
    if not wanted:
        return {}
    statement = _PRODUCT_PAGES[request.sort, request.after is not None, database.is_sqlite]
    async with database.reading() as connection:
        rows = (await connection.execute(statement, _page_parameters(wanted, request))).all()
    found: dict[str, tuple[int, Ratings]] = {}
    grouped: dict[str, list[Review]] = defaultdict(list)
    for row in rows:
        if row.product not in found:  # the product's columns repeat on each of its reviews
            found[row.product] = (row.total, ratings_of(row))
        if row.id is not None:
            grouped[row.product].append(review_of(row))
    pages: dict[str, ProductReviews] = {}
    for product_id in wanted:
        if product_id not in found:
            pages[product_id] = ProductReviews(NO_RATINGS, EMPTY_PAGE)
            continue
        total, product_ratings = found[product_id]
        pages[product_id] = ProductReviews(
            product_ratings, _page(grouped[product_id], request, total)
        )
    return pages


async def author_page(
    database: Database, author_id: str, request: PageRequest, include_hidden: bool
) -> ReviewPage:
    """One page of an author's reviews, newest first, with the total, in one statement."""
    mine = ReviewRow.author_id == author_id
    if not include_hidden:
        mine = and_(mine, ReviewRow.status == ReviewStatus.PUBLISHED.value)
    total = select(func.count()).select_from(ReviewRow).where(mine).scalar_subquery()
    statement = select(ReviewRow, total.label("total")).where(mine, _after(request))
    statement = statement.order_by(*_order(request.sort, ReviewRow)).limit(request.first + 1)
    async with database.session() as session:
        rows = (await session.execute(statement)).all()
        if rows:
            count = rows[0][1]
        else:
            # Only past the last page: no row came back to carry the total.
            count = await session.scalar(select(func.count()).select_from(ReviewRow).where(mine))
    return _page([review_of(row[0]) for row in rows], request, int(count or 0))


async def reviews_by_id(database: Database, ids: Sequence[str]) -> dict[str, Review]:
    """The reviews among `ids`, whatever their status, in one statement."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    async with database.session() as session:
        rows = await session.scalars(select(ReviewRow).where(ReviewRow.id.in_(wanted)))
        return {row.id: review_of(row) for row in rows}


async def moderation_of(
    database: Database, review_ids: Sequence[str]
) -> dict[str, list[Moderation]]:
    """Who hid or restored each review and why, oldest first, in one statement."""
    grouped: dict[str, list[Moderation]] = defaultdict(list)
    if not review_ids:
        return grouped
    statement = (
        select(ModerationRow)
        .where(ModerationRow.review_id.in_(list(review_ids)))
        .order_by(ModerationRow.created_at, ModerationRow.id)
    )
    async with database.session() as session:
        for row in await session.scalars(statement):
            grouped[row.review_id].append(
                Moderation(ModerationAction(row.action), row.actor_id, row.reason, row.created_at)
            )
    return grouped
