"""A running social subgraph per test, on each storage backend, with callers of every kind.

Products reach social through catalog's events; here they are handed to the
same handler the consumer runs, so a test needs no catalog.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.platform.events import Event
from subgraphs.platform.settings import Settings
from subgraphs.social.app import create_app
from subgraphs.social.feeds import apply_catalog_event
from subgraphs.social.services import SocialServices
from subgraphs.social.settings import SocialSettings
from tests.graphql import execute, serve

REVIEW_FIELDS = """
  id product { id } author { id } rating comment verifiedPurchase status helpfulCount
  createdAt updatedAt
"""
ADD = f"""
mutation Add($input: ReviewInput!) {{
  addReview(input: $input) {{ review {{ {REVIEW_FIELDS} }} errors {{ field code message }} }}
}}"""
UPDATE = f"""
mutation Update($id: ID!, $input: ReviewUpdateInput!) {{
  updateReview(id: $id, input: $input) {{ review {{ {REVIEW_FIELDS} }} errors {{ field code message }} }}
}}"""
DELETE = "mutation Delete($id: ID!) { deleteReview(id: $id) { deletedId errors { field code message } } }"
HIDE = f"""
mutation Hide($id: ID!, $reason: String!) {{
  hideReview(id: $id, reason: $reason) {{ review {{ {REVIEW_FIELDS} }} errors {{ field code message }} }}
}}"""
RESTORE = f"""
mutation Restore($id: ID!) {{
  restoreReview(id: $id) {{ review {{ {REVIEW_FIELDS} }} errors {{ field code message }} }}
}}"""
HELPFUL = f"""
mutation Helpful($id: ID!) {{
  markReviewHelpful(id: $id) {{ review {{ {REVIEW_FIELDS} }} errors {{ field code message }} }}
}}"""
RATINGS = """
query Ratings($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Product { id averageRating reviewCount ratingDistribution { rating count } }
  }
}"""
PAGE = f"""
query Page($reps: [_Any!]!, $first: Int!, $after: String, $sort: ReviewSort!) {{
  _entities(representations: $reps) {{
    ... on Product {{
      id
      reviews(first: $first, after: $after, sort: $sort) {{
        edges {{ cursor node {{ {REVIEW_FIELDS} }} }}
        pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
        totalCount
      }}
    }}
  }}
}}"""
REVIEW = f"query R($id: ID!) {{ review(id: $id) {{ {REVIEW_FIELDS} }} }}"

# Callers of the authorization matrix.
AUTHOR = "user-author"
OTHER = "user-other"
STAFF = "user-staff"


def product_created(product_id: str) -> Event:
    return Event.new("product.created", product_id, {"name": "Thing", "deleted": False})


def product_deleted(product_id: str) -> Event:
    return Event.new("product.deleted", product_id, {"name": "Thing", "deleted": True})


@dataclass
class SocialSubgraph:
    client: httpx.AsyncClient
    services: SocialServices
    tokens: AccessTokens

    def token(self, user_id: str | None) -> str | None:
        if user_id is None:
            return None
        role = Role.STAFF if user_id.startswith("user-staff") else Role.CUSTOMER
        return self.tokens.issue(Principal(user_id, role))

    async def query(
        self, query: str, variables: dict[str, Any] | None = None, user: str | None = None
    ) -> dict[str, Any]:
        return await execute(self.client, query, variables, self.token(user))

    async def product(self, product_id: str | None = None) -> str:
        """A product social knows of, as if catalog's `product.created` arrived."""
        product_id = product_id or str(uuid.uuid4())
        assert await apply_catalog_event(self.services, product_created(product_id))
        return product_id

    async def add(
        self, product_id: str, rating: int = 4, comment: str = "Good.", user: str | None = AUTHOR
    ) -> dict[str, Any]:
        body = await self.query(
            ADD, {"input": {"productId": product_id, "rating": rating, "comment": comment}}, user
        )
        assert "errors" not in body, body
        payload: dict[str, Any] = body["data"]["addReview"]
        return payload

    async def review(self, product_id: str, rating: int = 4, user: str = AUTHOR) -> dict[str, Any]:
        """A review that was accepted."""
        payload = await self.add(product_id, rating, user=user)
        assert payload["errors"] == [], payload
        review: dict[str, Any] = payload["review"]
        return review

    async def mutate(
        self, query: str, name: str, variables: dict[str, Any], user: str | None
    ) -> dict[str, Any]:
        body = await self.query(query, variables, user)
        assert "errors" not in body, body
        payload: dict[str, Any] = body["data"][name]
        return payload

    async def ratings(self, *product_ids: str) -> list[dict[str, Any]]:
        reps = [{"__typename": "Product", "id": p} for p in product_ids]
        body = await self.query(RATINGS, {"reps": reps})
        assert "errors" not in body, body
        entities: list[dict[str, Any]] = body["data"]["_entities"]
        return entities


def distribution(*counts: int) -> list[dict[str, int]]:
    return [{"rating": stars, "count": n} for stars, n in enumerate(counts, start=1)]


@pytest.fixture
def social_settings() -> SocialSettings:
    return SocialSettings(review_rate_limit=100, review_rate_window_seconds=3600)


@pytest.fixture
async def social(
    settings: Settings, social_settings: SocialSettings
) -> AsyncIterator[SocialSubgraph]:
    app = create_app(settings, social=social_settings)
    async with serve(app, "http://social") as client:
        yield SocialSubgraph(client, app.state.services, app.state.platform_tokens)
