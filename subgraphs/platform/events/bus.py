"""The event bus port (`EventBus`, `Delivery`) and its in-process implementation.

The port is shaped so RabbitMQ (a queue per consumer group, bound to the
group's event types) and Kafka (a consumer group per group name) can implement
it unchanged: delivery is at least once, a group receives each matching event
once however many consumers it runs, and an unacknowledged delivery comes back
marked `redelivered`. Consumers therefore deduplicate through the inbox.

`InProcessBus` is the embedded default: nothing survives the process, and a
group receives the events published after its first `consume()` call (as a
RabbitMQ queue receives what is published after it is bound).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from subgraphs.platform.events.envelope import Event

logger = logging.getLogger(__name__)


class Delivery(Protocol):
    """One event handed to one consumer; settle it exactly once with ack or nack."""

    @property
    def event(self) -> Event: ...

    @property
    def redelivered(self) -> bool:
        """True when this event was handed out before and not acknowledged."""
        ...

    async def ack(self) -> None:
        """Done with it: the group never sees this delivery again."""
        ...

    async def nack(self, requeue: bool) -> None:
        """Not handled: requeue to redeliver it (marked redelivered), or drop it."""
        ...


class EventBus(Protocol):
    async def publish(self, events: Sequence[Event]) -> None:
        """Hand `events` to the bus; returns once the bus has accepted all of them."""
        ...

    def consume(self, group: str, types: Collection[str]) -> AsyncIterator[Delivery]:
        """Deliveries of `types` for consumer `group`, until the bus closes.

        Every group gets every matching event; consumers of one group share them.
        Consumers of one group should ask for the same types.
        """
        ...

    async def close(self) -> None:
        """Stop: running consumers end, later publishes fail."""
        ...


class BusClosedError(RuntimeError):
    """Publishing to a bus that was closed."""


@dataclass
class _Group:
    types: set[str]
    messages: deque[tuple[Event, bool]] = field(default_factory=deque)
    # Set whenever messages arrive or the bus closes. Every waiting consumer wakes
    # and re-checks; with a single-threaded loop the check-and-pop cannot race.
    # (asyncio.Queue cannot wake all getters on close before Python 3.13.)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def put(self, event: Event, redelivered: bool, *, front: bool = False) -> None:
        if front:
            # Like RabbitMQ, a requeued message goes back near its old position.
            self.messages.appendleft((event, redelivered))
        else:
            self.messages.append((event, redelivered))
        self.changed.set()


class _InProcessDelivery:
    def __init__(self, event: Event, redelivered: bool, group: _Group) -> None:
        self._event = event
        self._redelivered = redelivered
        self._group = group
        self.settled = False

    @property
    def event(self) -> Event:
        return self._event

    @property
    def redelivered(self) -> bool:
        return self._redelivered

    async def ack(self) -> None:
        self._settle()

    async def nack(self, requeue: bool) -> None:
        self._settle()
        if requeue:
            self._group.put(self._event, True, front=True)
        else:
            logger.warning("event %s (%s) rejected and dropped", self._event.id, self._event.type)

    def requeue_unsettled(self) -> None:
        if not self.settled:
            self.settled = True
            self._group.put(self._event, True, front=True)

    def _settle(self) -> None:
        if self.settled:
            raise RuntimeError(f"delivery of event {self._event.id} was already settled")
        self.settled = True


class InProcessBus:
    """An `EventBus` inside one process, for the embedded mode and tests."""

    def __init__(self) -> None:
        self._groups: dict[str, _Group] = {}
        self._closed = False

    async def publish(self, events: Sequence[Event]) -> None:
        if self._closed:
            raise BusClosedError("the event bus is closed")
        for event in events:
            for group in self._groups.values():
                if event.type in group.types:
                    group.put(event, False)

    def consume(self, group: str, types: Collection[str]) -> AsyncIterator[Delivery]:
        if not types:
            raise ValueError("consume needs at least one event type")
        # Subscribe now rather than on the first iteration, so events published
        # between this call and the consumer's first `anext` are not missed.
        state = self._groups.get(group)
        if state is None:
            state = self._groups[group] = _Group(types=set(types))
        else:
            state.types.update(types)
        return self._deliveries(state)

    async def _deliveries(self, group: _Group) -> AsyncIterator[Delivery]:
        handed_out: list[_InProcessDelivery] = []
        try:
            while True:
                while not group.messages and not self._closed:
                    group.changed.clear()
                    await group.changed.wait()
                if self._closed:
                    return
                event, redelivered = group.messages.popleft()
                delivery = _InProcessDelivery(event, redelivered, group)
                handed_out = [d for d in handed_out if not d.settled]
                handed_out.append(delivery)
                yield delivery
        finally:
            # A consumer that stops (or fails) with deliveries in hand gives them
            # back, as a broker does when a consumer's channel closes.
            for delivery in handed_out:
                delivery.requeue_unsettled()

    async def close(self) -> None:
        self._closed = True
        for group in self._groups.values():
            group.changed.set()
