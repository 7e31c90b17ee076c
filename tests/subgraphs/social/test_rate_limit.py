"""Review creation is rate-limited per user, in the cache every replica shares."""

from __future__ import annotations

import pytest

from subgraphs.social.settings import SocialSettings
from tests.subgraphs.social.conftest import OTHER, SocialSubgraph


@pytest.fixture
def social_settings() -> SocialSettings:
    return SocialSettings(review_rate_limit=3, review_rate_window_seconds=3600)


async def test_review_creation_is_rate_limited_per_user(social: SocialSubgraph) -> None:
    products = [await social.product() for _ in range(5)]
    for product in products[:3]:
        await social.review(product)
    limited = await social.add(products[3])
    assert limited["review"] is None
    [error] = limited["errors"]
    assert error["code"] == "RATE_LIMITED"
    assert error["message"].startswith("too many reviews; try again in ")
    # Another user has a window of their own.
    assert (await social.add(products[3], user=OTHER))["errors"] == []
    # A retry of a review that went through still answers ALREADY_REVIEWED.
    assert [e["code"] for e in (await social.add(products[0]))["errors"]] == ["ALREADY_REVIEWED"]
