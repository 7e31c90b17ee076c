"""What social learns from events: products from catalog, purchases from commerce, each
handled exactly once; and the review events it writes to its own outbox."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
from sqlalchemy import func, select

from subgraphs.platform.events import Event, JSONValue
from subgraphs.platform.resources import SharedPlatform
from subgraphs.platform.settings import Settings
from subgraphs.social.app import create_app
from subgraphs.social.feeds import apply_catalog_event, apply_purchase_event
from subgraphs.social.models import PaidOrderRow, ProductRow, PurchaseLineRow, outbox
from tests.graphql import serve
from tests.subgraphs.social.conftest import (
    AUTHOR,
    DELETE,
    HIDE,
    OTHER,
    RESTORE,
    REVIEW,
    STAFF,
    UPDATE,
    SocialSubgraph,
    product_created,
    product_deleted,
)


def placed(order_id: str, user_id: str, *product_ids: str) -> Event:
    lines: list[JSONValue] = [
        {"productId": p, "quantity": 1, "unitPrice": "1.00"} for p in product_ids
    ]
    return Event.new(
        "order.placed",
        order_id,
        {"userId": user_id, "paymentId": "p", "total": "1", "lines": lines},
    )


def moved(order_id: str, user_id: str, before: str | None, after: str) -> Event:
    payload: dict[str, Any] = {"userId": user_id, "from": before, "to": after, "reason": "r"}
    return Event.new("order.status_changed", order_id, {**payload, "total": "1", "currency": "USD"})


async def _verified(social: SocialSubgraph, review_id: str) -> bool:
    review = (await social.query(REVIEW, {"id": review_id}))["data"]["review"]
    verified: bool = review["verifiedPurchase"]
    return verified


async def _counts(social: SocialSubgraph) -> tuple[int, int, int]:
    async with social.services.database.session() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(ProductRow)) or 0),
            int(await session.scalar(select(func.count()).select_from(PurchaseLineRow)) or 0),
            int(await session.scalar(select(func.count()).select_from(PaidOrderRow)) or 0),
        )


async def test_catalog_events_consumed_twice_change_nothing(social: SocialSubgraph) -> None:
    created, deleted = product_created("p-1"), product_deleted("p-1")
    assert await apply_catalog_event(social.services, created)
    assert await social.add("p-1", user=OTHER) != {}
    assert not await apply_catalog_event(social.services, created)
    assert await _counts(social) == (1, 0, 0)
    assert await apply_catalog_event(social.services, deleted)
    assert not await apply_catalog_event(social.services, deleted)
    assert [e["code"] for e in (await social.add("p-1"))["errors"]] == ["PRODUCT_NOT_FOUND"]
    ratings = (await social.ratings("p-1"))[0]
    assert ratings["reviewCount"] == 1  # a deleted product keeps the reviews it had


async def test_a_paid_order_verifies_the_review_whichever_event_comes_first(
    social: SocialSubgraph,
) -> None:
    first, second, unbought = await social.product(), await social.product(), await social.product()
    reviews = [await social.review(p) for p in (first, second, unbought)]
    assert [r["verifiedPurchase"] for r in reviews] == [False, False, False]
    # The payment is reported before the order's lines arrive.
    assert await apply_purchase_event(
        social.services, moved("o-1", AUTHOR, "PENDING_PAYMENT", "PAID")
    )
    assert not await _verified(social, reviews[0]["id"])
    assert await apply_purchase_event(social.services, placed("o-1", AUTHOR, first, second))
    assert [await _verified(social, r["id"]) for r in reviews] == [True, True, False]


async def test_an_unpaid_order_verifies_nothing_and_a_refund_unverifies_nothing(
    social: SocialSubgraph,
) -> None:
    product = await social.product()
    review = await social.review(product)
    order = "o-2"
    await apply_purchase_event(social.services, placed(order, AUTHOR, product))
    await apply_purchase_event(social.services, moved(order, AUTHOR, None, "PENDING_PAYMENT"))
    await apply_purchase_event(
        social.services, moved(order, AUTHOR, "PENDING_PAYMENT", "PAYMENT_FAILED")
    )
    assert not await _verified(social, review["id"])
    await apply_purchase_event(social.services, moved(order, AUTHOR, "PAYMENT_FAILED", "PAID"))
    assert await _verified(social, review["id"])
    await apply_purchase_event(social.services, moved(order, AUTHOR, "PAID", "REFUNDED"))
    assert await _verified(social, review["id"])


async def test_someone_elses_order_verifies_nothing(social: SocialSubgraph) -> None:
    product = await social.product()
    review = await social.review(product)
    await apply_purchase_event(social.services, placed("o-3", OTHER, product))
    await apply_purchase_event(social.services, moved("o-3", OTHER, "PENDING_PAYMENT", "PAID"))
    assert not await _verified(social, review["id"])
    # The buyer's own review afterwards is verified from the start.
    assert (await social.review(product, user=OTHER))["verifiedPurchase"] is True


async def test_purchase_events_consumed_twice_change_nothing(social: SocialSubgraph) -> None:
    product = await social.product()
    events = [placed("o-4", AUTHOR, product), moved("o-4", AUTHOR, "PENDING_PAYMENT", "PAID")]
    assert [await apply_purchase_event(social.services, e) for e in events] == [True, True]
    before = await _counts(social)
    assert [await apply_purchase_event(social.services, e) for e in events] == [False, False]
    assert await _counts(social) == before == (1, 1, 1)
    assert (await social.review(product))["verifiedPurchase"] is True


async def test_events_reach_social_through_the_bus(settings: Settings) -> None:
    shared = SharedPlatform()
    async with shared.open(settings) as platform:
        app = create_app(settings, shared.borrow)
        async with serve(app, "http://social") as client:
            social = SocialSubgraph(client, app.state.services, platform.tokens)
            product = str(uuid.uuid4())
            await platform.bus.publish([product_created(product)])
            for _ in range(200):
                if not (await social.add(product))["errors"]:
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError("product.created never reached social")
            await platform.bus.publish(
                [placed("o-5", AUTHOR, product), moved("o-5", AUTHOR, "PENDING_PAYMENT", "PAID")]
            )
            review = (await social.ratings(product))[0]
            assert review["reviewCount"] == 1
            reps = [{"__typename": "User", "id": AUTHOR}]
            query = "query U($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { reviews { edges { node { verifiedPurchase } } } } } }"
            for _ in range(200):
                body = await social.query(query, {"reps": reps})
                if body["data"]["_entities"][0]["reviews"]["edges"][0]["node"]["verifiedPurchase"]:
                    return
                await asyncio.sleep(0.02)
            raise AssertionError("the payment never verified the review")


async def _outbox(social: SocialSubgraph) -> list[tuple[str, str, dict[str, Any]]]:
    async with social.services.database.session() as session:
        rows = (await session.execute(select(outbox).order_by(outbox.c.created_at))).all()
    return [(row.type, row.subject_id, orjson.loads(row.payload)) for row in rows]


async def test_every_review_change_writes_its_event_to_the_outbox(social: SocialSubgraph) -> None:
    product = await social.product()
    review = await social.review(product, 3)
    rid = review["id"]
    await social.mutate(UPDATE, "updateReview", {"id": rid, "input": {"rating": 4}}, AUTHOR)
    await social.mutate(HIDE, "hideReview", {"id": rid, "reason": "spam"}, STAFF)
    await social.mutate(RESTORE, "restoreReview", {"id": rid}, STAFF)
    await social.mutate(DELETE, "deleteReview", {"id": rid}, STAFF)
    events = await _outbox(social)
    assert [(kind, subject) for kind, subject, _ in events] == [
        ("review.created", rid),
        ("review.updated", rid),
        ("review.hidden", rid),
        ("review.restored", rid),
        ("review.deleted", rid),
    ]
    base = {
        "productId": product,
        "authorId": AUTHOR,
        "verifiedPurchase": False,
        "helpfulCount": 0,
        "createdAt": events[0][2]["createdAt"],
    }
    payloads = [{k: v for k, v in p.items() if k != "updatedAt"} for _, _, p in events]
    assert payloads == [
        {**base, "rating": 3, "status": "PUBLISHED"},
        {**base, "rating": 4, "status": "PUBLISHED", "previousRating": 3},
        {**base, "rating": 4, "status": "HIDDEN", "actorId": STAFF, "reason": "spam"},
        {**base, "rating": 4, "status": "PUBLISHED", "actorId": STAFF, "reason": None},
        {**base, "rating": 4, "status": "PUBLISHED", "actorId": STAFF},
    ]


async def test_a_refused_change_writes_no_event(social: SocialSubgraph) -> None:
    product = await social.product()
    review = await social.review(product, 3)
    await social.add(product, 5)  # ALREADY_REVIEWED
    await social.mutate(
        UPDATE, "updateReview", {"id": review["id"], "input": {"rating": 3}}, AUTHOR
    )
    await social.mutate(HIDE, "hideReview", {"id": review["id"], "reason": "no"}, OTHER)
    assert [kind for kind, _, _ in await _outbox(social)] == ["review.created"]
