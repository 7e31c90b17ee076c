"""The event bus port (`EventBus`, `Delivery`) and its in-process implementation.

The port is shaped so RabbitMQ (a queue per consumer group, bound to the
group's event types) and Kafka (a consumer group per group name) can implement
it unchanged: delivery is at least once, a group receives each matching event
once however many consumers it runs, and an unacknowledged delivery comes back
marked `redelivered`. Consumers therefore deduplicate through the inbox.

A consumer that cannot handle an event yet for a transient reason (a server it
needs is down) calls `retry()`: the bus hands the event back after a delay that
grows with each attempt, and after the last delay parks it in the group's dead
letters, where an operator lists it and puts it back once the cause is fixed.

`InProcessBus` is the embedded default: nothing survives the process, and a
group receives the events published after its first `consume()` call (as a
RabbitMQ queue receives what is published after it is bound).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
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

    @property
    def attempt(self) -> int:
        """1 for the first delivery, one more after each `retry()`."""
        ...

    async def ack(self) -> None:
        """Done with it: the group never sees this delivery again."""
        ...

    async def nack(self, requeue: bool) -> None:
        """Not handled: requeue to redeliver it (marked redelivered), or drop it."""
        ...

    async def retry(self) -> None:
        """Not handled yet, for a transient reason: deliver again after a delay that
        grows with each attempt (the bus's retry delays); after the last delay the
        event goes to the group's dead letters instead."""
        ...


class EventBus(Protocol):
    async def publish(self, events: Sequence[Event]) -> None:
        """Hand `events` to the bus; returns once the bus has accepted all of them.

        Raises `BusUnavailableError` when the bus cannot take them now (broker
        unreachable, no confirm in time): some may have gone through, so a caller
        retries the whole batch later and consumers absorb the repeats.
        """
        ...

    async def declare(self, group: str, types: Collection[str]) -> None:
        """Make `group` keep the events of `types` published from now on, for its
        consumers to come, as `consume` does for its own.

        A group receives only what is published after it exists, so a process whose
        events a worker elsewhere must not miss declares the worker's group before it
        publishes: a worker that has never run yet (a first deploy) finds them waiting.
        """
        ...

    def consume(self, group: str, types: Collection[str]) -> AsyncIterator[Delivery]:
        """Deliveries of `types` for consumer `group`, until the bus closes.

        Every group gets every matching event; consumers of one group share them.
        Consumers of one group should ask for the same types.
        """
        ...

    async def dead_letters(self, group: str) -> list[Event]:
        """The events `group` gave up on, oldest first, left where they are."""
        ...

    async def requeue_dead_letters(
        self, group: str, ids: Collection[uuid.UUID] | None = None
    ) -> int:
        """Give the dead letters with these ids (None: all) back to `group`'s consumers,
        starting again at attempt 1; return how many went back."""
        ...

    async def close(self) -> None:
        """Stop: running consumers end, later publishes fail."""
        ...


class BusClosedError(RuntimeError):
    """Publishing to a bus that was closed."""


class BusUnavailableError(ConnectionError):
    """The bus could not take or confirm events now; trying again later may work."""


DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0)


@dataclass
class _Message:
    event: Event
    redelivered: bool = False
    attempt: int = 1


@dataclass
class _Group:
    types: set[str]
    messages: deque[_Message] = field(default_factory=deque)
    dead: list[Event] = field(default_factory=list)
    # Set whenever messages arrive or the bus closes. Every waiting consumer wakes
    # and re-checks; with a single-threaded loop the check-and-pop cannot race.
    # (asyncio.Queue cannot wake all getters on close before Python 3.13.)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    # Handed to a consumer and not settled yet.
    in_hand: int = 0

    def put(self, message: _Message, *, front: bool = False) -> None:
        if front:
            # Like RabbitMQ, a requeued message goes back near its old position.
            self.messages.appendleft(message)
        else:
            self.messages.append(message)
        self.changed.set()


class _InProcessDelivery:
    def __init__(self, message: _Message, group: _Group, bus: InProcessBus) -> None:
        self._message = message
        self._group = group
        self._bus = bus
        self.settled = False

    @property
    def event(self) -> Event:
        return self._message.event

    @property
    def redelivered(self) -> bool:
        return self._message.redelivered

    @property
    def attempt(self) -> int:
        return self._message.attempt

    async def ack(self) -> None:
        self._settle()

    async def nack(self, requeue: bool) -> None:
        self._settle()
        event = self._message.event
        if requeue:
            self._group.put(_Message(event, True, self._message.attempt), front=True)
        else:
            logger.warning("event %s (%s) rejected and dropped", event.id, event.type)

    async def retry(self) -> None:
        self._settle()
        self._bus._schedule_retry(self._group, self._message)

    def requeue_unsettled(self) -> None:
        if not self.settled:
            self.settled = True
            self._group.in_hand -= 1
            self._group.put(_Message(self._message.event, True, self._message.attempt), front=True)

    def _settle(self) -> None:
        if self.settled:
            raise RuntimeError(f"delivery of event {self._message.event.id} was already settled")
        self.settled = True
        self._group.in_hand -= 1


class InProcessBus:
    """An `EventBus` inside one process, for the embedded mode and tests."""

    def __init__(self, retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS) -> None:
        self._groups: dict[str, _Group] = {}
        self._retry_delays = tuple(retry_delays)
        self._pending_retries: set[asyncio.TimerHandle] = set()
        self._closed = False

    async def publish(self, events: Sequence[Event]) -> None:
        if self._closed:
            raise BusClosedError("the event bus is closed")
        for event in events:
            for group in self._groups.values():
                if event.type in group.types:
                    group.put(_Message(event))

    async def declare(self, group: str, types: Collection[str]) -> None:
        self._group(group, types)

    def consume(self, group: str, types: Collection[str]) -> AsyncIterator[Delivery]:
        # Subscribe now rather than on the first iteration, so events published
        # between this call and the consumer's first `anext` are not missed.
        return self._deliveries(self._group(group, types))

    def _group(self, group: str, types: Collection[str]) -> _Group:
        """The group, which receives `types` from now on."""
        if not types:
            raise ValueError("a group needs at least one event type")
        state = self._groups.get(group)
        if state is None:
            state = self._groups[group] = _Group(types=set(types))
        else:
            state.types.update(types)
        return state

    async def _deliveries(self, group: _Group) -> AsyncIterator[Delivery]:
        handed_out: list[_InProcessDelivery] = []
        try:
            while True:
                while not group.messages and not self._closed:
                    group.changed.clear()
                    await group.changed.wait()
                if self._closed:
                    return
                delivery = _InProcessDelivery(group.messages.popleft(), group, self)
                group.in_hand += 1
                handed_out = [d for d in handed_out if not d.settled]
                handed_out.append(delivery)
                yield delivery
        finally:
            # A consumer that stops (or fails) with deliveries in hand gives them
            # back, as a broker does when a consumer's channel closes.
            for delivery in handed_out:
                delivery.requeue_unsettled()

    def _schedule_retry(self, group: _Group, message: _Message) -> None:
        """Put `message` back after the delay of its attempt, or among the dead letters."""
        event = message.event
        if message.attempt > len(self._retry_delays):
            logger.warning(
                "event %s (%s) failed %d attempts; moved to the dead letters",
                event.id,
                event.type,
                message.attempt,
            )
            group.dead.append(event)
            return
        delay = self._retry_delays[message.attempt - 1]
        retried = _Message(event, False, message.attempt + 1)

        def redeliver() -> None:
            self._pending_retries.discard(handle)
            group.put(retried)

        handle = asyncio.get_running_loop().call_later(delay, redeliver)
        self._pending_retries.add(handle)

    async def dead_letters(self, group: str) -> list[Event]:
        state = self._groups.get(group)
        return [] if state is None else list(state.dead)

    def backlog(self, group: str) -> int:
        """Events of `group` waiting or handed out and not settled: 0 once its consumers
        are idle (tests wait for that instead of sleeping). Retries waiting for their
        delay are not counted."""
        state = self._groups.get(group)
        return 0 if state is None else len(state.messages) + state.in_hand

    async def requeue_dead_letters(
        self, group: str, ids: Collection[uuid.UUID] | None = None
    ) -> int:
        state = self._groups.get(group)
        if state is None:
            return 0
        wanted = None if ids is None else set(ids)
        back = [e for e in state.dead if wanted is None or e.id in wanted]
        state.dead = [e for e in state.dead if wanted is not None and e.id not in wanted]
        for event in back:
            state.put(_Message(event))
        return len(back)

    async def close(self) -> None:
        self._closed = True
        # Retries waiting for their delay die with the process, like everything else here.
        for handle in self._pending_retries:
            handle.cancel()
        self._pending_retries.clear()
        for group in self._groups.values():
            group.changed.set()
