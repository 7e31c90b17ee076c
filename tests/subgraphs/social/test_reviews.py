"""addReview, updateReview and deleteReview: every rule, on each storage backend."""

from __future__ import annotations

import asyncio

import pytest

from subgraphs.social.feeds import apply_catalog_event
from tests.subgraphs.social.conftest import (
    AUTHOR,
    DELETE,
    OTHER,
    REVIEW,
    UPDATE,
    SocialSubgraph,
    distribution,
    product_deleted,
)


async def test_a_review_is_added_and_counted(social: SocialSubgraph) -> None:
    product = await social.product()
    payload = await social.add(product, 5, "  Lovely shoes.\nWould buy again.  ")
    assert payload["errors"] == []
    review = payload["review"]
    assert review == {
        "id": review["id"],
        "product": {"id": product},
        "author": {"id": AUTHOR},
        "rating": 5,
        "comment": "Lovely shoes.\nWould buy again.",
        "verifiedPurchase": False,
        "status": "PUBLISHED",
        "helpfulCount": 0,
        "createdAt": review["createdAt"],
        "updatedAt": review["createdAt"],
    }
    assert await social.ratings(product) == [
        {
            "id": product,
            "averageRating": 5.0,
            "reviewCount": 1,
            "ratingDistribution": distribution(0, 0, 0, 0, 1),
        }
    ]


async def test_a_product_without_reviews_has_no_average(social: SocialSubgraph) -> None:
    product = await social.product()
    unknown = "never-heard-of-it"
    assert await social.ratings(product, unknown) == [
        {
            "id": p,
            "averageRating": None,
            "reviewCount": 0,
            "ratingDistribution": distribution(0, 0, 0, 0, 0),
        }
        for p in (product, unknown)
    ]


async def test_signed_out_callers_cannot_review(social: SocialSubgraph) -> None:
    product = await social.product()
    payload = await social.add(product, user=None)
    assert payload == {
        "review": None,
        "errors": [{"field": None, "code": "UNAUTHENTICATED", "message": "sign in first"}],
    }


@pytest.mark.parametrize(
    ("rating", "comment", "errors"),
    [
        (0, "ok", [("INVALID_RATING", ["input", "rating"])]),
        (6, "ok", [("INVALID_RATING", ["input", "rating"])]),
        (-3, "ok", [("INVALID_RATING", ["input", "rating"])]),
        (3, "x" * 5001, [("COMMENT_TOO_LONG", ["input", "comment"])]),
        (3, "tab\there", [("COMMENT_INVALID_CHARACTERS", ["input", "comment"])]),
        (3, "bell\x07", [("COMMENT_INVALID_CHARACTERS", ["input", "comment"])]),
        (3, "lone\rreturn", [("COMMENT_INVALID_CHARACTERS", ["input", "comment"])]),
        (3, "nul\x00", [("COMMENT_INVALID_CHARACTERS", ["input", "comment"])]),
        (
            9,
            "esc\x1b[31m",
            [
                ("INVALID_RATING", ["input", "rating"]),
                ("COMMENT_INVALID_CHARACTERS", ["input", "comment"]),
            ],
        ),
    ],
)
async def test_bad_input_is_refused_with_every_problem(
    social: SocialSubgraph, rating: int, comment: str, errors: list[tuple[str, list[str]]]
) -> None:
    product = await social.product()
    payload = await social.add(product, rating, comment)
    assert payload["review"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == errors
    assert (await social.ratings(product))[0]["reviewCount"] == 0


async def test_comment_limits_count_after_trimming(social: SocialSubgraph) -> None:
    product = await social.product()
    comment = "  " + "y" * 5000 + "\r\n"
    payload = await social.add(product, 3, comment)
    assert payload["errors"] == []
    assert payload["review"]["comment"] == "y" * 5000
    other = await social.product()
    windows = await social.add(other, 3, "line one\r\nline two")
    assert windows["review"]["comment"] == "line one\nline two"


async def test_a_comment_may_be_empty(social: SocialSubgraph) -> None:
    product = await social.product()
    payload = await social.add(product, 2, "   ")
    assert payload["errors"] == []
    assert payload["review"]["comment"] == ""


async def test_a_second_review_gets_already_reviewed_and_the_first(
    social: SocialSubgraph,
) -> None:
    product = await social.product()
    first = await social.review(product, 4)
    again = await social.add(product, 1, "changed my mind")
    assert again == {
        "review": first,
        "errors": [
            {
                "field": ["input", "productId"],
                "code": "ALREADY_REVIEWED",
                "message": f"you have already reviewed this product (review {first['id']})",
            }
        ],
    }
    ratings = (await social.ratings(product))[0]
    assert (ratings["reviewCount"], ratings["averageRating"]) == (1, 4.0)


async def test_unknown_and_deleted_products_cannot_be_reviewed(social: SocialSubgraph) -> None:
    missing = await social.add("no-such-product")
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [
        ("PRODUCT_NOT_FOUND", ["input", "productId"])
    ]
    product = await social.product()
    assert await apply_catalog_event(social.services, product_deleted(product))
    gone = await social.add(product)
    assert [e["code"] for e in gone["errors"]] == ["PRODUCT_NOT_FOUND"]


async def test_a_deletion_that_overtakes_its_creation_still_wins(social: SocialSubgraph) -> None:
    product = "reordered-product"
    assert await apply_catalog_event(social.services, product_deleted(product))
    await social.product(product)  # the creation arrives late
    assert [e["code"] for e in (await social.add(product))["errors"]] == ["PRODUCT_NOT_FOUND"]


async def test_the_author_updates_rating_and_comment(social: SocialSubgraph) -> None:
    product = await social.product()
    review = await social.review(product, 2)
    payload = await social.mutate(
        UPDATE,
        "updateReview",
        {"id": review["id"], "input": {"rating": 5, "comment": " Better now. "}},
        AUTHOR,
    )
    assert payload["errors"] == []
    updated = payload["review"]
    assert updated == {
        **review,
        "rating": 5,
        "comment": "Better now.",
        "updatedAt": updated["updatedAt"],
    }
    assert updated["updatedAt"] > review["updatedAt"]
    assert (await social.ratings(product))[0]["ratingDistribution"] == distribution(0, 0, 0, 0, 1)
    # The same update again is a retry: nothing changes, not even the time.
    again = await social.mutate(
        UPDATE, "updateReview", {"id": review["id"], "input": {"rating": 5}}, AUTHOR
    )
    assert again == {"review": updated, "errors": []}


async def test_an_update_is_checked_like_a_new_review(social: SocialSubgraph) -> None:
    product = await social.product()
    review = await social.review(product, 2)
    payload = await social.mutate(
        UPDATE,
        "updateReview",
        {"id": review["id"], "input": {"rating": 0, "comment": "\x01"}},
        AUTHOR,
    )
    assert payload["review"] is None
    assert [e["code"] for e in payload["errors"]] == [
        "INVALID_RATING",
        "COMMENT_INVALID_CHARACTERS",
    ]
    assert (await social.query(REVIEW, {"id": review["id"]}))["data"]["review"] == review


async def test_deleting_uncounts_and_frees_the_product_for_a_new_review(
    social: SocialSubgraph,
) -> None:
    product = await social.product()
    review = await social.review(product, 1)
    await social.review(product, 5, user=OTHER)
    deleted = await social.mutate(DELETE, "deleteReview", {"id": review["id"]}, AUTHOR)
    assert deleted == {"deletedId": review["id"], "errors": []}
    assert (await social.ratings(product))[0] == {
        "id": product,
        "averageRating": 5.0,
        "reviewCount": 1,
        "ratingDistribution": distribution(0, 0, 0, 0, 1),
    }
    assert (await social.query(REVIEW, {"id": review["id"]}))["data"]["review"] is None
    again = await social.mutate(DELETE, "deleteReview", {"id": review["id"]}, AUTHOR)
    assert [e["code"] for e in again["errors"]] == ["REVIEW_NOT_FOUND"]
    assert (await social.add(product, 3))["errors"] == []


async def test_fifty_concurrent_reviews_of_one_product_by_one_user_make_one(
    social: SocialSubgraph,
) -> None:
    product = await social.product()
    payloads = await asyncio.gather(
        *(social.add(product, 1 + n % 5, f"attempt {n}") for n in range(50))
    )
    made = [p["review"] for p in payloads if not p["errors"]]
    assert len(made) == 1
    for payload in payloads:
        if payload["errors"]:
            assert [e["code"] for e in payload["errors"]] == ["ALREADY_REVIEWED"]
            assert payload["review"] == made[0]
    ratings = (await social.ratings(product))[0]
    assert ratings["reviewCount"] == 1
    assert ratings["averageRating"] == float(made[0]["rating"])
