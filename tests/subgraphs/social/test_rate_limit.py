"""Review creation is rate-limited per user, in the cache every replica shares."""

from __future__ import annotations

import pytest

from subgraphs.platform.settings import Settings
from subgraphs.social.app import create_app
from subgraphs.social.settings import SocialSettings
from tests.graphql import serve
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


async def test_replicas_share_the_limit_through_redis(settings: Settings, redis_url: str) -> None:
    """Two social processes on one Redis: reviews through either count against one window."""
    shared = settings.model_copy(update={"redis_url": redis_url})
    limits = SocialSettings(review_rate_limit=2, review_rate_window_seconds=3600)
    first, second = create_app(shared, social=limits), create_app(shared, social=limits)
    async with serve(first, "http://one") as one, serve(second, "http://two") as two:
        replicas = [
            SocialSubgraph(client, app.state.services, app.state.platform_tokens)
            for client, app in ((one, first), (two, second))
        ]
        products = [await replicas[0].product() for _ in range(3)]
        await replicas[0].review(products[0])
        await replicas[1].review(products[1])
        refused = await replicas[1].add(products[2])
        assert [e["code"] for e in refused["errors"]] == ["RATE_LIMITED"]
