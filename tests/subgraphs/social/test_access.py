"""The authorization matrix: anonymous, the author, another customer and staff, for every
field and mutation of the social subgraph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

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
)

CALLERS = (None, AUTHOR, OTHER, STAFF)
ANONYMOUS = None

MODERATION = """
query M($id: ID!) { review(id: $id) { id moderation { action moderator { id } reason } } }"""
USER_REVIEWS = """
query U($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on User { id reviews { totalCount edges { node { id status } } } }
  }
}"""
PRODUCT_VIEW = """
query P($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Product {
      averageRating reviewCount ratingDistribution { count }
      reviews { totalCount edges { node { id } } }
    }
  }
}"""
REVIEW_ENTITY = """
query E($reps: [_Any!]!) { _entities(representations: $reps) { ... on Review { id status } } }"""


async def _hidden_and_published(social: SocialSubgraph) -> tuple[str, str, str]:
    """A product with the author's review hidden by staff and another customer's published."""
    product = await social.product()
    hidden = await social.review(product, 1)
    published = await social.review(product, 5, user=OTHER)
    payload = await social.mutate(HIDE, "hideReview", {"id": hidden["id"], "reason": "spam"}, STAFF)
    assert payload["errors"] == []
    return product, hidden["id"], published["id"]


@pytest.mark.parametrize("caller", CALLERS)
async def test_product_fields_are_public_and_count_published_reviews_only(
    social: SocialSubgraph, caller: str | None
) -> None:
    product, _, published = await _hidden_and_published(social)
    body = await social.query(
        PRODUCT_VIEW, {"reps": [{"__typename": "Product", "id": product}]}, caller
    )
    assert body == {
        "data": {
            "_entities": [
                {
                    "averageRating": 5.0,
                    "reviewCount": 1,
                    "ratingDistribution": [{"count": 0}] * 4 + [{"count": 1}],
                    "reviews": {"totalCount": 1, "edges": [{"node": {"id": published}}]},
                }
            ]
        }
    }


@pytest.mark.parametrize(
    ("caller", "sees_hidden"), [(ANONYMOUS, False), (AUTHOR, True), (OTHER, False), (STAFF, True)]
)
async def test_a_hidden_review_is_seen_by_its_author_and_staff_only(
    social: SocialSubgraph, caller: str | None, sees_hidden: bool
) -> None:
    _, hidden, published = await _hidden_and_published(social)
    shown = (await social.query(REVIEW, {"id": hidden}, caller))["data"]["review"]
    assert (shown["id"], shown["status"]) == (hidden, "HIDDEN") if sees_hidden else shown is None
    public = (await social.query(REVIEW, {"id": published}, caller))["data"]["review"]
    assert public["id"] == published
    reps = [{"__typename": "Review", "id": hidden}, {"__typename": "Review", "id": published}]
    entities = (await social.query(REVIEW_ENTITY, {"reps": reps}, caller))["data"]["_entities"]
    assert entities == [
        {"id": hidden, "status": "HIDDEN"} if sees_hidden else None,
        {"id": published, "status": "PUBLISHED"},
    ]
    author_reviews = await social.query(
        USER_REVIEWS, {"reps": [{"__typename": "User", "id": AUTHOR}]}, caller
    )
    expected = [{"node": {"id": hidden, "status": "HIDDEN"}}] if sees_hidden else []
    assert author_reviews["data"]["_entities"] == [
        {"id": AUTHOR, "reviews": {"totalCount": len(expected), "edges": expected}}
    ]


@pytest.mark.parametrize(
    ("caller", "code"),
    [(ANONYMOUS, "UNAUTHENTICATED"), (AUTHOR, "FORBIDDEN"), (OTHER, "FORBIDDEN"), (STAFF, None)],
)
async def test_moderation_records_are_for_staff_only(
    social: SocialSubgraph, caller: str | None, code: str | None
) -> None:
    _, _, published = await _hidden_and_published(social)
    body = await social.query(MODERATION, {"id": published}, caller)
    if code is None:
        assert body == {"data": {"review": {"id": published, "moderation": []}}}
    else:
        assert body["data"] == {"review": None}
        assert [e["extensions"]["code"] for e in body["errors"]] == [code]


MUTATIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "updateReview": (UPDATE, "updateReview", {"input": {"rating": 1}}),
    "deleteReview": (DELETE, "deleteReview", {}),
    "hideReview": (HIDE, "hideReview", {"reason": "abuse"}),
    "restoreReview": (RESTORE, "restoreReview", {}),
    "markReviewHelpful": (HELPFUL, "markReviewHelpful", {}),
}

# Who may run each mutation on the author's review; the code everyone else gets.
MATRIX = [
    ("updateReview", ANONYMOUS, "UNAUTHENTICATED"),
    ("updateReview", AUTHOR, None),
    ("updateReview", OTHER, "FORBIDDEN"),
    ("updateReview", STAFF, "FORBIDDEN"),
    ("deleteReview", ANONYMOUS, "UNAUTHENTICATED"),
    ("deleteReview", AUTHOR, None),
    ("deleteReview", OTHER, "FORBIDDEN"),
    ("deleteReview", STAFF, None),
    ("hideReview", ANONYMOUS, "UNAUTHENTICATED"),
    ("hideReview", AUTHOR, "FORBIDDEN"),
    ("hideReview", OTHER, "FORBIDDEN"),
    ("hideReview", STAFF, None),
    ("restoreReview", ANONYMOUS, "UNAUTHENTICATED"),
    ("restoreReview", AUTHOR, "FORBIDDEN"),
    ("restoreReview", OTHER, "FORBIDDEN"),
    ("restoreReview", STAFF, None),
    ("markReviewHelpful", ANONYMOUS, "UNAUTHENTICATED"),
    ("markReviewHelpful", AUTHOR, "OWN_REVIEW"),
    ("markReviewHelpful", OTHER, None),
    ("markReviewHelpful", STAFF, None),
]


@pytest.mark.parametrize(("mutation", "caller", "code"), MATRIX)
async def test_who_may_change_a_review(
    social: SocialSubgraph, mutation: str, caller: str | None, code: str | None
) -> None:
    product = await social.product()
    review = await social.review(product, 4)
    if mutation == "restoreReview":
        hidden = await social.mutate(HIDE, "hideReview", {"id": review["id"], "reason": "x"}, STAFF)
        review = hidden["review"]
    query, name, extra = MUTATIONS[mutation]
    payload = await social.mutate(query, name, {"id": review["id"], **extra}, caller)
    after = (await social.query(REVIEW, {"id": review["id"]}, AUTHOR))["data"]["review"]
    if code is not None:
        assert [e["code"] for e in payload["errors"]] == [code]
        assert after == review  # refused: nothing changed
        return
    assert payload["errors"] == []
    changes: dict[str, Callable[[], dict[str, Any] | None]] = {
        "updateReview": lambda: {**review, "rating": 1, "updatedAt": after["updatedAt"]},
        "deleteReview": lambda: None,
        "hideReview": lambda: {**review, "status": "HIDDEN"},
        "restoreReview": lambda: {**review, "status": "PUBLISHED"},
        "markReviewHelpful": lambda: {**review, "helpfulCount": 1},
    }
    assert after == changes[mutation]()


@pytest.mark.parametrize("caller", CALLERS)
async def test_who_may_add_a_review(social: SocialSubgraph, caller: str | None) -> None:
    product = await social.product()
    payload = await social.add(product, 3, "ok", user=caller)
    if caller is None:
        assert [e["code"] for e in payload["errors"]] == ["UNAUTHENTICATED"]
        assert (await social.ratings(product))[0]["reviewCount"] == 0
    else:
        assert payload["errors"] == []
        assert payload["review"]["author"] == {"id": caller}
