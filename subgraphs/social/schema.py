"""The social subgraph's GraphQL API. Resolvers parse, call one service, shape the payload.

Visibility: a PUBLISHED review is public. A HIDDEN one is seen only by its
author and by staff; to anyone else it looks exactly like one that does not
exist. Who moderated a review, and why, is for staff only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TypeAlias

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.context import RequestContext
from subgraphs.platform.database import Database
from subgraphs.platform.errors import (
    DeletePayload,
    DomainError,
    InvalidInput,
    UserError,
    forbidden,
    user_error_list,
    user_errors,
)
from subgraphs.platform.pagination import CONNECTION_SIZE, PageInfo, assumed_size, page_info
from subgraphs.platform.schema import federation_schema
from subgraphs.social import listing, ratings, reviews
from subgraphs.social.cards import (
    DEFAULT_FIRST,
    DEFAULT_SORT,
    CardShapes,
    ProductCard,
    load_card,
    load_cards,
)
from subgraphs.social.domain import Moderation as ModerationValue
from subgraphs.social.domain import (
    ModerationAction,
    Ratings,
    ReviewChanges,
    ReviewErrorCode,
    ReviewSort,
    ReviewStatus,
)
from subgraphs.social.domain import Review as ReviewValue
from subgraphs.social.listing import PageRequest, ProductReviews, ReviewPage
from subgraphs.social.services import SocialServices

# A product, and the page of its reviews asked for (None: only its ratings).
ProductKey: TypeAlias = tuple[str, PageRequest | None]


@dataclass(frozen=True)
class SocialLoaders:
    reviews: DataLoader[str, ReviewValue | None]
    # Ratings and review pages share one loader: the products asked alike share one
    # statement, which also gives their ratings, so a card with both costs one.
    products: DataLoader[ProductKey, ProductReviews]
    moderation: DataLoader[str, list[ModerationValue]]
    card_shapes: CardShapes


def make_loaders(services: SocialServices) -> SocialLoaders:
    database = services.database

    async def load_reviews(ids: list[str]) -> list[ReviewValue | None]:
        found = await listing.reviews_by_id(database, ids)
        return [found.get(review_id) for review_id in ids]

    async def load_products(keys: list[ProductKey]) -> list[ProductReviews]:
        return await read_products(database, keys)

    async def load_moderation(ids: list[str]) -> list[list[ModerationValue]]:
        found = await listing.moderation_of(database, ids)
        return [found.get(review_id, []) for review_id in ids]

    return SocialLoaders(
        reviews=DataLoader(load_fn=load_reviews),
        products=DataLoader(load_fn=load_products),
        moderation=DataLoader(load_fn=load_moderation),
        card_shapes=CardShapes(),
    )


async def read_products(database: Database, keys: list[ProductKey]) -> list[ProductReviews]:
    """One statement per distinct page asked (ratings come with it), or one for ratings only."""
    by_request: dict[PageRequest | None, list[str]] = defaultdict(list)
    for product_id, request in keys:
        by_request[request].append(product_id)
    found: dict[ProductKey, ProductReviews] = {}
    known: dict[str, Ratings] = {}
    for request, product_ids in by_request.items():
        if request is not None:
            pages = await listing.product_pages(database, product_ids, request)
            found.update(((p, request), reviews) for p, reviews in pages.items())
            known.update((p, reviews.ratings) for p, reviews in pages.items())
    only_ratings = [p for p in by_request.get(None, []) if p not in known]
    if only_ratings:
        known.update(await ratings.ratings_by_product(database, only_ratings))
    found.update(((p, None), ProductReviews(known[p])) for p in by_request.get(None, []))
    return [found[key] for key in keys]


Context: TypeAlias = RequestContext[SocialServices, SocialLoaders]
strawberry.enum(ReviewStatus, name="ReviewStatus")
strawberry.enum(ReviewSort, name="ReviewSort")
strawberry.enum(ModerationAction, name="ModerationAction")


def _may_see(principal: Principal | None, review: ReviewValue) -> bool:
    return review.published or (principal is not None and principal.may_see(review.author_id))


@strawberry.type
class RatingCount:
    rating: int
    count: int


@strawberry.type(description="Staff only: a review hidden or restored, by whom and why.")
class ModerationRecord:
    action: ModerationAction
    moderator: User
    reason: str | None
    created_at: datetime


async def _review_product(root: Review, info: Info[Context, None]) -> Product:
    return await _product(info, root.product_id)


@strawberry.federation.type(keys=["id"], description="HIDDEN reviews: author and staff only.")
class Review:
    id: strawberry.ID
    product_id: strawberry.Private[str]
    product: Product = strawberry.field(resolver=_review_product)
    author: User
    rating: int
    comment: str
    verified_purchase: bool = strawberry.field(
        description="The author has a paid order with this product."
    )
    status: ReviewStatus
    helpful_count: int
    created_at: datetime
    updated_at: datetime = strawberry.field(description="When the author last changed it.")

    @strawberry.field(
        description="Staff only: who hid or restored it and why, oldest first.",
        directives=[assumed_size(10)],
    )
    async def moderation(self, info: Info[Context, None]) -> list[ModerationRecord]:
        principal = info.context.require_principal()
        if not principal.is_staff:
            raise forbidden()
        found = await info.context.loaders.moderation.load(str(self.id))
        return [
            ModerationRecord(
                action=record.action,
                moderator=User(id=strawberry.ID(record.actor_id)),
                reason=record.reason,
                created_at=record.created_at,
            )
            for record in found
        ]

    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Review | None:
        review = await info.context.loaders.reviews.load(str(id))
        if review is None or not _may_see(info.context.principal, review):
            return None
        return cls.of(review)

    @classmethod
    def of(cls, review: ReviewValue) -> Review:
        return cls(
            id=strawberry.ID(review.id),
            product_id=review.product_id,
            author=User(id=strawberry.ID(review.author_id)),
            rating=review.rating,
            comment=review.comment,
            verified_purchase=review.verified_purchase,
            status=review.status,
            helpful_count=review.helpful_count,
            created_at=review.created_at,
            updated_at=review.updated_at,
        )


@strawberry.type
class ReviewEdge:
    cursor: str
    node: Review


@strawberry.type
class ReviewConnection:
    edges: list[ReviewEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, page: ReviewPage, after: str | None) -> ReviewConnection:
        cursors = list(page.cursors)
        return cls(
            edges=[
                ReviewEdge(cursor=cursor, node=Review.of(review))
                for review, cursor in zip(page.reviews, cursors, strict=True)
            ],
            page_info=page_info(cursors, page.has_next_page, after),
            total_count=page.total,
        )


def _request(first: int, after: str | None, sort: ReviewSort) -> PageRequest:
    return listing.page_request(first, after, sort)


def _product_reviews(
    root: Product,
    first: int = DEFAULT_FIRST,
    after: str | None = None,
    sort: ReviewSort = DEFAULT_SORT,
) -> ReviewConnection:
    page = root.card.pages.get(_request(first, after, sort))
    if page is None:
        raise RuntimeError("a product's page was asked for and not read")
    return ReviewConnection.of(page, after)


@strawberry.federation.type(keys=["id"])
class Product:
    """A product's social side, built from its card (cards.py), read before its fields.

    The ratings are plain values, not resolvers: a listing asks them of every
    product, and a resolver field costs Strawberry an Info object and argument
    conversion each time where a value costs one attribute read.
    """

    id: strawberry.ID
    card: strawberry.Private[ProductCard]

    reviews: ReviewConnection = strawberry.field(
        resolver=_product_reviews,
        description="PUBLISHED reviews, in pages that stay stable under inserts.",
        directives=[CONNECTION_SIZE],
    )
    average_rating: float | None = strawberry.field(
        description="Mean of the PUBLISHED ratings, 2 decimals; null without any."
    )
    review_count: int = strawberry.field(description="How many PUBLISHED reviews the product has.")

    @strawberry.field(
        description="PUBLISHED reviews per star, from 1 to 5.", directives=[assumed_size(5)]
    )
    def rating_distribution(self) -> list[RatingCount]:
        counts = self.card.ratings.distribution
        return [RatingCount(rating=stars, count=n) for stars, n in enumerate(counts, start=1)]

    @classmethod
    def of(cls, product_id: str, card: ProductCard) -> Product:
        """The product with its card; a card read for a selection without ratings holds
        none (EMPTY_CARD), and then no ratings field is asked."""
        ratings = card.ratings
        return cls(
            id=strawberry.ID(product_id),
            card=card,
            average_rating=ratings.average,
            review_count=ratings.review_count,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Product:
        return await _product(info, str(id))

    @classmethod
    async def resolve_references(
        cls, info: Info[Context, None], keys: list[dict[str, object]]
    ) -> list[Product]:
        """All the products one `_entities` asks for, read at once (platform/schema.py).

        Already one batch: through the DataLoader, each key was a future and a
        callback more, for nothing to share with in an `_entities` request."""
        context = info.context
        read = partial(read_products, context.services.database)
        ids = [str(key["id"]) for key in keys]
        cards = await load_cards(read, ids, context.loaders.card_shapes.of(info))
        return [Product.of(p, card) for p, card in zip(ids, cards, strict=True)]


async def _product(info: Info[Context, None], product_id: str) -> Product:
    """The product with the card its selection under `info` needs; the products of one
    tick share one statement."""
    loaders = info.context.loaders
    card = await load_card(loaders.products.load_many, product_id, loaders.card_shapes.of(info))
    return Product.of(product_id, card)


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @strawberry.field(
        description="The user's reviews, newest first; HIDDEN ones for self or staff.",
        directives=[CONNECTION_SIZE],
    )
    async def reviews(
        self, info: Info[Context, None], first: int = 20, after: str | None = None
    ) -> ReviewConnection:
        request = _request(first, after, ReviewSort.NEWEST)
        principal = info.context.principal
        own = principal is not None and principal.may_see(str(self.id))
        page = await listing.author_page(info.context.services.database, str(self.id), request, own)
        return ReviewConnection.of(page, after)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id)


@strawberry.input
class ReviewInput:
    product_id: strawberry.ID
    rating: int = strawberry.field(description="A whole number from 1 to 5.")
    comment: str = strawberry.field(
        description="Trimmed; at most 5,000 characters; no control characters but newlines."
    )


@strawberry.input
class ReviewUpdateInput:
    rating: int | None = None
    comment: str | None = None


@strawberry.type
class ReviewPayload:
    review: Review | None = None
    errors: list[UserError] = user_error_list()

    @classmethod
    def of(cls, review: ReviewValue) -> ReviewPayload:
        return cls(review=Review.of(review))

    @classmethod
    def refused(cls, error: DomainError | InvalidInput) -> ReviewPayload:
        # ALREADY_REVIEWED answers with the review that exists, so a client can show it.
        existing = Review.of(error.review) if isinstance(error, reviews.AlreadyReviewed) else None
        return cls(review=existing, errors=user_errors(error))


@strawberry.type
class Query:
    @strawberry.field(description="One review; a HIDDEN one only for its author and staff.")
    async def review(self, info: Info[Context, None], id: strawberry.ID) -> Review | None:
        found = await info.context.loaders.reviews.load(str(id))
        if found is None or not _may_see(info.context.principal, found):
            return None
        return Review.of(found)


async def _answer(write: Awaitable[ReviewValue]) -> ReviewPayload:
    """The payload of a review mutation: the review as written, or why it was refused."""
    try:
        review = await write
    except (DomainError, InvalidInput) as error:
        return ReviewPayload.refused(error)
    return ReviewPayload.of(review)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Signed in; one review per user and product.")
    async def add_review(self, info: Info[Context, None], input: ReviewInput) -> ReviewPayload:
        context = info.context
        return await _answer(
            reviews.add_review(
                context.services,
                context.principal,
                str(input.product_id),
                input.rating,
                input.comment,
            )
        )

    @strawberry.mutation(description="The author only.")
    async def update_review(
        self, info: Info[Context, None], id: strawberry.ID, input: ReviewUpdateInput
    ) -> ReviewPayload:
        changes = ReviewChanges(rating=input.rating, comment=input.comment)
        context = info.context
        return await _answer(
            reviews.update_review(context.services, context.principal, str(id), changes)
        )

    @strawberry.mutation(description="The author or staff.")
    async def delete_review(self, info: Info[Context, None], id: strawberry.ID) -> DeletePayload:
        deleted = await reviews.delete_review(
            info.context.services, info.context.principal, str(id)
        )
        return DeletePayload(deleted_id=strawberry.ID(deleted))

    @strawberry.mutation(description="Staff only; the reason is kept with who hid it.")
    async def hide_review(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> ReviewPayload:
        context = info.context
        return await _answer(
            reviews.hide_review(context.services, context.principal, str(id), reason)
        )

    @strawberry.mutation(description="Staff only.")
    async def restore_review(self, info: Info[Context, None], id: strawberry.ID) -> ReviewPayload:
        context = info.context
        return await _answer(reviews.restore_review(context.services, context.principal, str(id)))

    @strawberry.mutation(description="Signed in; once per user and review; not one's own.")
    async def mark_review_helpful(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> ReviewPayload:
        context = info.context
        return await _answer(reviews.mark_helpful(context.services, context.principal, str(id)))


schema = federation_schema(
    query=Query, mutation=Mutation, types=[Product, User, Review], error_codes=ReviewErrorCode
)
