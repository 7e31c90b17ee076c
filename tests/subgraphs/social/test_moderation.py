"""hideReview / restoreReview by staff, recorded with who and why; markReviewHelpful."""

from __future__ import annotations

from tests.subgraphs.social.conftest import (
    AUTHOR,
    DELETE,
    HELPFUL,
    HIDE,
    OTHER,
    RESTORE,
    REVIEW,
    STAFF,
    UPDATE,
    SocialSubgraph,
    distribution,
)

MODERATION = """
query M($id: ID!) {
  review(id: $id) { status moderation { action moderator { id } reason createdAt } }
}"""


async def test_hiding_uncounts_and_restoring_counts_again_with_a_record_of_each(
    social: SocialSubgraph,
) -> None:
    product = await social.product()
    review = await social.review(product, 2)
    await social.review(product, 4, user=OTHER)

    hidden = await social.mutate(
        HIDE, "hideReview", {"id": review["id"], "reason": "  insults the seller  "}, STAFF
    )
    assert hidden == {"review": {**review, "status": "HIDDEN"}, "errors": []}
    assert (await social.ratings(product))[0] == {
        "id": product,
        "averageRating": 4.0,
        "reviewCount": 1,
        "ratingDistribution": distribution(0, 0, 0, 1, 0),
    }
    # A retried hide changes nothing and records nothing more.
    again = await social.mutate(HIDE, "hideReview", {"id": review["id"], "reason": "x"}, STAFF)
    assert again == hidden

    restored = await social.mutate(RESTORE, "restoreReview", {"id": review["id"]}, "user-staff-2")
    assert restored == {"review": review, "errors": []}
    assert (await social.ratings(product))[0]["averageRating"] == 3.0
    body = await social.query(MODERATION, {"id": review["id"]}, STAFF)
    records = body["data"]["review"]["moderation"]
    assert [(r["action"], r["moderator"], r["reason"]) for r in records] == [
        ("HIDDEN", {"id": STAFF}, "insults the seller"),
        ("RESTORED", {"id": "user-staff-2"}, None),
    ]
    assert records[0]["createdAt"] <= records[1]["createdAt"]


async def test_hiding_needs_a_reason_of_reasonable_length(social: SocialSubgraph) -> None:
    review = await social.review(await social.product())
    for reason, code in (("   ", "REASON_REQUIRED"), ("r" * 501, "REASON_TOO_LONG")):
        payload = await social.mutate(
            HIDE, "hideReview", {"id": review["id"], "reason": reason}, STAFF
        )
        assert payload == {
            "review": None,
            "errors": [
                {"field": ["reason"], "code": code, "message": payload["errors"][0]["message"]}
            ],
        }
    assert (await social.query(REVIEW, {"id": review["id"]}))["data"]["review"] == review


async def test_changing_an_unknown_review_is_review_not_found(social: SocialSubgraph) -> None:
    for query, name, extra, caller in (
        (HIDE, "hideReview", {"reason": "x"}, STAFF),
        (RESTORE, "restoreReview", {}, STAFF),
        (UPDATE, "updateReview", {"input": {"rating": 3}}, AUTHOR),
        (DELETE, "deleteReview", {}, AUTHOR),
    ):
        payload = await social.mutate(query, name, {"id": "missing", **extra}, caller)
        assert [e["code"] for e in payload["errors"]] == ["REVIEW_NOT_FOUND"]


async def test_the_author_may_edit_a_hidden_review_without_it_counting(
    social: SocialSubgraph,
) -> None:
    product = await social.product()
    review = await social.review(product, 1)
    await social.mutate(HIDE, "hideReview", {"id": review["id"], "reason": "rude"}, STAFF)
    edited = await social.mutate(
        UPDATE,
        "updateReview",
        {"id": review["id"], "input": {"rating": 5, "comment": "Sorry."}},
        AUTHOR,
    )
    assert edited["errors"] == []
    assert edited["review"]["status"] == "HIDDEN"
    assert (await social.ratings(product))[0]["reviewCount"] == 0
    # Others cannot tell a hidden review from a missing one.
    payload = await social.mutate(
        UPDATE, "updateReview", {"id": review["id"], "input": {"rating": 2}}, OTHER
    )
    assert [e["code"] for e in payload["errors"]] == ["REVIEW_NOT_FOUND"]
    await social.mutate(RESTORE, "restoreReview", {"id": review["id"]}, STAFF)
    assert (await social.ratings(product))[0]["ratingDistribution"] == distribution(0, 0, 0, 0, 1)


async def test_a_review_is_marked_helpful_once_per_user(social: SocialSubgraph) -> None:
    review = await social.review(await social.product())
    first = await social.mutate(HELPFUL, "markReviewHelpful", {"id": review["id"]}, OTHER)
    assert first == {"review": {**review, "helpfulCount": 1}, "errors": []}
    again = await social.mutate(HELPFUL, "markReviewHelpful", {"id": review["id"]}, OTHER)
    assert again == first
    by_staff = await social.mutate(HELPFUL, "markReviewHelpful", {"id": review["id"]}, STAFF)
    assert by_staff["review"]["helpfulCount"] == 2
    own = await social.mutate(HELPFUL, "markReviewHelpful", {"id": review["id"]}, AUTHOR)
    assert own == {
        "review": None,
        "errors": [
            {
                "field": None,
                "code": "OWN_REVIEW",
                "message": "you cannot mark your own review helpful",
            }
        ],
    }


async def test_hidden_and_unknown_reviews_cannot_be_marked_helpful(social: SocialSubgraph) -> None:
    review = await social.review(await social.product())
    await social.mutate(HIDE, "hideReview", {"id": review["id"], "reason": "spam"}, STAFF)
    for review_id in (review["id"], "missing"):
        payload = await social.mutate(HELPFUL, "markReviewHelpful", {"id": review_id}, OTHER)
        assert [e["code"] for e in payload["errors"]] == ["REVIEW_NOT_FOUND"]
