"""Leaving the shared RabbitMQ broker as a test found it: the durable queues of
shopgraph's consumer groups outlive the processes that declared them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import aio_pika

from shopgraph.subscriptions import subscriptions
from subgraphs.platform.events.rabbitmq import dead_queue_name, retry_queue_name
from subgraphs.platform.settings import Settings

# Every group a shopgraph process consumes as, and every retry delay tests use.
GROUPS = tuple(subscription.group for subscription in subscriptions())
DELAYS = (0.05, 0.1, 0.2, 1.0, 5.0, 30.0, 120.0)
# Retries short enough for a test to see a message through all of them.
SHORT_RETRY_DELAYS = (0.05, 0.1, 0.2)


async def delete_group_queues(
    url: str, groups: Iterable[str] = GROUPS, delays: Iterable[float] = DELAYS
) -> None:
    """Deletes each group's queue, its retry queues and its dead letters."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for group in groups:
            names = [group, dead_queue_name(group), *(retry_queue_name(group, d) for d in delays)]
            for name in names:
                await channel.queue_delete(name)


@asynccontextmanager
async def on_production_backends(
    settings: Settings, redis_url: str, rabbitmq_url: str
) -> AsyncIterator[Settings]:
    """`settings` on Redis and RabbitMQ (PostgreSQL as given), with short retries, and no
    consumer group's queue before or after."""
    await delete_group_queues(rabbitmq_url)
    try:
        yield settings.model_copy(
            update={
                "redis_url": redis_url,
                "amqp_url": rabbitmq_url,
                "bus_retry_delays_seconds": SHORT_RETRY_DELAYS,
            }
        )
    finally:
        await delete_group_queues(rabbitmq_url)
