"""The pub/sub contract, run in process and on Redis."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from subgraphs.platform.pubsub import InProcessPubSub, RedisPubSub, create_pubsub
from subgraphs.platform.settings import Settings


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def pubsub_url(request: pytest.FixtureRequest) -> str | None:
    """None for in-process pub/sub, else a reachable Redis.

    A plain (sync) fixture, so it can set up the async `redis_url` fixture on demand.
    """
    if request.param == "redis":
        return str(request.getfixturevalue("redis_url"))
    return None


@pytest.fixture
async def pubsub(pubsub_url: str | None) -> AsyncIterator[InProcessPubSub | RedisPubSub]:
    # Channels are server-wide in Redis (no database number applies), so each
    # test gets its own prefix to stay clear of other test runs on this server.
    pubsub = (
        InProcessPubSub()
        if pubsub_url is None
        else RedisPubSub(pubsub_url, prefix=f"test-{secrets.token_hex(4)}:")
    )
    yield pubsub
    await pubsub.close()


async def next_message(messages: AsyncIterator[bytes]) -> bytes:
    async with asyncio.timeout(2):
        return await anext(messages)


async def test_a_message_reaches_every_subscriber_of_its_channel_only(
    pubsub: InProcessPubSub | RedisPubSub,
) -> None:
    async with (
        pubsub.subscribe("order:1") as first,
        pubsub.subscribe("order:1") as second,
        pubsub.subscribe("order:2") as other,
    ):
        # Published right after subscribing, with no pause: nothing may be missed.
        await pubsub.publish("order:1", b"PAID\x00\xff")
        await pubsub.publish("order:2", b"SHIPPED")
        await pubsub.publish("order:1", b"DELIVERED")

        assert [await next_message(first), await next_message(first)] == [
            b"PAID\x00\xff",
            b"DELIVERED",
        ]
        assert [await next_message(second), await next_message(second)] == [
            b"PAID\x00\xff",
            b"DELIVERED",
        ]
        # Delivery is in publish order, so anything from order:1 would come first.
        assert await next_message(other) == b"SHIPPED"


@pytest.mark.parametrize("count", [1, 3])
async def test_publishing_together_delivers_each_message_in_order(
    pubsub: InProcessPubSub | RedisPubSub, count: int
) -> None:
    """`publish_all` (one round trip on Redis) is `publish` of each message in turn."""
    async with pubsub.subscribe("order:1") as first, pubsub.subscribe("order:2") as other:
        messages = [("order:1", b"PAID"), ("order:2", b"FAILED"), ("order:1", b"SHIPPED")]
        await pubsub.publish_all(messages[:count])
        await pubsub.publish("order:2", b"END")

        heard_first = [await next_message(first) for _ in range(2 if count == 3 else 1)]
        heard_other = [await next_message(other) for _ in range(2 if count == 3 else 1)]

    assert heard_first == ([b"PAID", b"SHIPPED"] if count == 3 else [b"PAID"])
    assert heard_other == ([b"FAILED", b"END"] if count == 3 else [b"END"])


async def test_leaving_a_subscription_unsubscribes(pubsub: InProcessPubSub | RedisPubSub) -> None:
    async with pubsub.subscribe("order:1") as staying:
        async with pubsub.subscribe("order:1") as leaving:
            assert await pubsub.subscriber_count("order:1") == 2
        assert await pubsub.subscriber_count("order:1") == 1

        await pubsub.publish("order:1", b"PAID")

        assert [message async for message in leaving] == []
        assert await next_message(staying) == b"PAID"

    assert await pubsub.subscriber_count("order:1") == 0


async def test_cancelling_a_waiting_reader_unsubscribes(
    pubsub: InProcessPubSub | RedisPubSub,
) -> None:
    # What happens when a WebSocket client goes away mid-subscription.
    entered = asyncio.Event()

    async def listen() -> list[bytes]:
        async with pubsub.subscribe("order:1") as messages:
            entered.set()
            return [message async for message in messages]

    listener = asyncio.create_task(listen())
    async with asyncio.timeout(2):
        await entered.wait()
    await asyncio.sleep(0.05)  # let it block on the read
    listener.cancel()

    with pytest.raises(asyncio.CancelledError):
        await listener
    assert await pubsub.subscriber_count("order:1") == 0


async def test_closing_in_process_pubsub_ends_its_subscriptions() -> None:
    pubsub = InProcessPubSub()
    async with pubsub.subscribe("order:1") as messages:
        reader = asyncio.create_task(anext(messages, b"ended"))
        await asyncio.sleep(0)
        await pubsub.close()

        async with asyncio.timeout(2):
            assert await reader == b"ended"
        assert await pubsub.subscriber_count("order:1") == 0
        with pytest.raises(RuntimeError, match="closed"):
            await pubsub.publish("order:1", b"PAID")


async def test_settings_choose_the_pubsub() -> None:
    embedded = create_pubsub(Settings())
    remote = create_pubsub(Settings(redis_url="redis://127.0.0.1:6379/15"))

    assert (type(embedded), type(remote)) == (InProcessPubSub, RedisPubSub)
    await embedded.close()
    await remote.close()


async def test_subscriptions_can_come_and_go_repeatedly(
    pubsub: InProcessPubSub | RedisPubSub,
) -> None:
    for attempt in range(20):
        async with pubsub.subscribe("order:1") as messages:
            await pubsub.publish("order:1", b"%d" % attempt)
            assert await next_message(messages) == b"%d" % attempt
        assert await pubsub.subscriber_count("order:1") == 0
