"""Product.reviews and User.reviews: keyset pages for every sort, stable under inserts, and
their statement budgets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.statements import recorded_statements
from tests.subgraphs.social.conftest import HELPFUL, PAGE, RATINGS, SocialSubgraph

SORT_KEYS: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
    "NEWEST": lambda r: (r["createdAt"], r["id"]),
    "HELPFUL": lambda r: (r["helpfulCount"], r["createdAt"], r["id"]),
    "RATING_DESC": lambda r: (r["rating"], r["createdAt"], r["id"]),
    "RATING_ASC": lambda r: (-r["rating"], r["createdAt"], r["id"]),
}


async def _page(
    social: SocialSubgraph, product: str, first: int, after: str | None, sort: str
) -> dict[str, Any]:
    reps = [{"__typename": "Product", "id": product}]
    body = await social.query(PAGE, {"reps": reps, "first": first, "after": after, "sort": sort})
    assert "errors" not in body, body
    page: dict[str, Any] = body["data"]["_entities"][0]["reviews"]
    return page


async def _reviewed(social: SocialSubgraph, product: str, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        await social.review(product, 1 + (n * 7) % 5, user=f"user-{n}")


async def _all(
    social: SocialSubgraph, product: str, first: int, sort: str, between: Any = None
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        page = await _page(social, product, first, after, sort)
        seen += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
        if between is not None:
            await between()


@pytest.mark.parametrize("sort", list(SORT_KEYS))
async def test_pages_never_repeat_or_skip_while_reviews_are_added(
    social: SocialSubgraph, sort: str
) -> None:
    product = await social.product()
    await _reviewed(social, product, 12)
    everything = await _all(social, product, 100, sort)
    for review in everything[:5]:  # some helpful votes, so HELPFUL has more than ties
        for voter in range(1 + int(review["id"][0], 16) % 3):
            await social.mutate(
                HELPFUL, "markReviewHelpful", {"id": review["id"]}, f"voter-{voter}"
            )
    before = await _all(social, product, 100, sort)
    assert len(before) == 12
    key = SORT_KEYS[sort]
    assert [key(r) for r in before] == sorted((key(r) for r in before), reverse=True)

    added = 100

    async def add_one() -> None:
        nonlocal added
        await _reviewed(social, product, 1, added)
        added += 1

    during = await _all(social, product, 5, sort, between=add_one)
    ids = [r["id"] for r in during]
    assert len(ids) == len(set(ids))
    assert {r["id"] for r in before} <= set(ids)
    original = [r for r in during if r["id"] in {b["id"] for b in before}]
    assert [r["id"] for r in original] == [r["id"] for r in before]


async def test_page_info_and_total(social: SocialSubgraph) -> None:
    product = await social.product()
    await _reviewed(social, product, 5)
    first = await _page(social, product, 2, None, "NEWEST")
    assert first["totalCount"] == 5
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]
    assert first["pageInfo"]["endCursor"] == first["edges"][1]["cursor"]
    last = await _page(social, product, 10, first["pageInfo"]["endCursor"], "NEWEST")
    assert len(last["edges"]) == 3
    assert last["totalCount"] == 5
    assert last["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": last["edges"][0]["cursor"],
        "endCursor": last["edges"][2]["cursor"],
    }
    empty = await _page(social, await social.product(), 3, None, "HELPFUL")
    assert empty == {
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
        "totalCount": 0,
    }


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"first": 101}, "INVALID_PAGE_SIZE"),
        ({"first": -1}, "INVALID_PAGE_SIZE"),
        ({"after": "garbage!"}, "INVALID_CURSOR"),
        ({"after": "WzEsMiwzXQ"}, "INVALID_CURSOR"),
    ],
)
async def test_bad_page_requests_are_clear_errors(
    social: SocialSubgraph, variables: dict[str, Any], code: str
) -> None:
    product = await social.product()
    reps = [{"__typename": "Product", "id": product}]
    body = await social.query(PAGE, {"reps": reps, "first": 3, "sort": "NEWEST", **variables})
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]


async def test_a_cursor_of_one_sort_is_refused_by_another(social: SocialSubgraph) -> None:
    product = await social.product()
    await _reviewed(social, product, 3)
    cursor = (await _page(social, product, 1, None, "RATING_ASC"))["pageInfo"]["endCursor"]
    reps = [{"__typename": "Product", "id": product}]
    body = await social.query(PAGE, {"reps": reps, "first": 3, "after": cursor, "sort": "NEWEST"})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_CURSOR"]


LISTING = """
query L($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Product {
      id averageRating reviewCount ratingDistribution { rating count }
      reviews(first: 3) { totalCount edges { node { id rating author { id } } } }
    }
  }
}"""


async def test_one_statement_per_entity_batch_and_one_per_page(social: SocialSubgraph) -> None:
    products = [await social.product() for _ in range(20)]
    for n, product in enumerate(products):
        await _reviewed(social, product, n % 5, start=n * 10)
    reps = [{"__typename": "Product", "id": p} for p in [*products, "unknown-product"]]
    engine = social.services.database.engine

    with recorded_statements(engine) as statements:
        body = await social.query(RATINGS, {"reps": reps})
    assert len(statements) == 1, statements
    assert [e["reviewCount"] for e in body["data"]["_entities"]] == [n % 5 for n in range(20)] + [0]

    with recorded_statements(engine) as statements:
        page = await _page(social, products[4], 3, None, "HELPFUL")
    assert len(statements) == 1, statements
    assert (len(page["edges"]), page["totalCount"]) == (3, 4)

    # The card of 20 products: their pages and ratings in one statement.
    with recorded_statements(engine) as statements:
        listing = await social.query(LISTING, {"reps": reps})
    assert len(statements) == 1, statements
    entities = listing["data"]["_entities"]
    assert [len(e["reviews"]["edges"]) for e in entities] == [min(n % 5, 3) for n in range(20)] + [
        0
    ]
    assert [e["reviews"]["totalCount"] for e in entities] == [e["reviewCount"] for e in entities]


USER_PAGE = """
query U($reps: [_Any!]!, $after: String) {
  _entities(representations: $reps) {
    ... on User { reviews(first: 2, after: $after) {
      totalCount edges { node { id product { id } } } pageInfo { hasNextPage endCursor } } }
  }
}"""


async def test_a_users_reviews_page_newest_first_in_one_statement(social: SocialSubgraph) -> None:
    products = [await social.product() for _ in range(3)]
    made = [await social.review(p, user="user-writer") for p in products]
    reps = [{"__typename": "User", "id": "user-writer"}]
    with recorded_statements(social.services.database.engine) as statements:
        body = await social.query(USER_PAGE, {"reps": reps})
    assert len(statements) == 1, statements
    page = body["data"]["_entities"][0]["reviews"]
    assert page["totalCount"] == 3
    assert [e["node"]["id"] for e in page["edges"]] == [made[2]["id"], made[1]["id"]]
    rest = await social.query(USER_PAGE, {"reps": reps, "after": page["pageInfo"]["endCursor"]})
    tail = rest["data"]["_entities"][0]["reviews"]
    assert [e["node"]["product"] for e in tail["edges"]] == [{"id": products[0]}]
    assert tail["pageInfo"]["hasNextPage"] is False


REVIEWS = """
query R($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Review { id rating author { id } product { id } } }
}"""


async def test_a_batch_of_review_entities_is_one_statement(social: SocialSubgraph) -> None:
    product = await social.product()
    made = [await social.review(product, user=f"user-{n}") for n in range(5)]
    reps = [{"__typename": "Review", "id": r["id"]} for r in made]
    with recorded_statements(social.services.database.engine) as statements:
        body = await social.query(REVIEWS, {"reps": reps})
    assert len(statements) == 1, statements
    assert [e["id"] for e in body["data"]["_entities"]] == [r["id"] for r in made]


ALIASED = """
query A($reps: [_Any!]!, $sort: ReviewSort!) {
  _entities(representations: $reps) {
    ... on Product { newest: reviews(first: 2) { edges { node { rating } } } }
    ...Cards
  }
}
fragment Cards on Product {
  reviewCount
  worst: reviews(first: 1, sort: $sort) { edges { node { rating } } }
}"""


async def test_each_page_asked_of_a_product_is_read_once_for_the_batch(
    social: SocialSubgraph,
) -> None:
    products = [await social.product() for _ in range(3)]
    for n, product in enumerate(products):
        for k, stars in enumerate((5, 1 + n, 3)):
            await social.review(product, stars, user=f"user-{n}-{k}")
    reps = [{"__typename": "Product", "id": p} for p in products]
    with recorded_statements(social.services.database.engine) as statements:
        body = await social.query(ALIASED, {"reps": reps, "sort": "RATING_ASC"})
    # Two pages asked alike for every product: one statement each, whatever the count.
    assert len(statements) == 2, statements
    assert [e["reviewCount"] for e in body["data"]["_entities"]] == [3, 3, 3]
    worst = [e["worst"]["edges"][0]["node"]["rating"] for e in body["data"]["_entities"]]
    assert worst == [1, 2, 3]
    newest = [
        [n["node"]["rating"] for n in e["newest"]["edges"]] for e in body["data"]["_entities"]
    ]
    assert newest == [[3, 1], [3, 2], [3, 3]]


REVIEWED_PRODUCT = """
query R($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Review { product { id averageRating reviews(first: 1) { totalCount } } }
  }
}"""


async def test_a_reviews_product_has_its_ratings_and_pages(social: SocialSubgraph) -> None:
    product = await social.product()
    made = [await social.review(product, stars, user=f"user-{stars}") for stars in (2, 5)]
    reps = [{"__typename": "Review", "id": r["id"]} for r in made]
    with recorded_statements(social.services.database.engine) as statements:
        body = await social.query(REVIEWED_PRODUCT, {"reps": reps})
    # The reviews, then the card of their one product.
    assert len(statements) == 2, statements
    shown = {"id": product, "averageRating": 3.5, "reviews": {"totalCount": 2}}
    assert body == {"data": {"_entities": [{"product": shown}, {"product": shown}]}}
