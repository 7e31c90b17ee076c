"""One `EventBus` over two: the work-queue bus (RabbitMQ or in-process) and the Kafka log.

Every event is published to the queue bus as before (payments and the other
work queues stay there) and, if its type has a topic route, to the log as
well. Which consumer groups read the log instead of the queues is
configuration (`log_groups`). A publish succeeds only when both took the
events; otherwise the outbox keeps them and retries the whole batch, and the
side that had taken them sees repeats, which its consumers absorb.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Sequence

from subgraphs.platform.events.bus import Delivery, EventBus
from subgraphs.platform.events.envelope import Event
from subgraphs.platform.events.kafka import KafkaBus


class RoutedBus:
    def __init__(self, queues: EventBus, log: KafkaBus, log_groups: Collection[str]) -> None:
        self.queues = queues
        self.log = log
        self._log_groups = frozenset(log_groups)

    def _bus_of(self, group: str) -> EventBus:
        return self.log if group in self._log_groups else self.queues

    async def publish(self, events: Sequence[Event]) -> None:
        await self.queues.publish(events)
        await self.log.publish(events)

    async def declare(self, group: str, types: Collection[str]) -> None:
        await self._bus_of(group).declare(group, types)

    def consume(self, group: str, types: Collection[str]) -> AsyncIterator[Delivery]:
        return self._bus_of(group).consume(group, types)

    async def dead_letters(self, group: str) -> list[Event]:
        return await self._bus_of(group).dead_letters(group)

    async def requeue_dead_letters(
        self, group: str, ids: Collection[uuid.UUID] | None = None
    ) -> int:
        return await self._bus_of(group).requeue_dead_letters(group, ids)

    async def close(self) -> None:
        try:
            await self.queues.close()
        finally:
            await self.log.close()
