"""Consumer groups as values (`Subscription`), and declaring them all before a first publish.

A group receives only what is published after it exists (a RabbitMQ queue and its
bindings, or the in-process bus's queue), and the outbox relay publishes without
`mandatory`: an event of a type no group holds yet is confirmed, marked sent and
lost for the groups still to come (a consumer deployed after the shop took orders).
So each subgraph names its groups and their types in one module, its consumers
consume exactly those, the launcher (`shopgraph`) gathers every subgraph's into one
registry, and `GroupDeclarations` declares that registry on the process's bus once,
before the process publishes anything (the outbox relay and the tracker wait for it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass

from subgraphs.platform.events.bus import BusUnavailableError, EventBus

# A bus's declare outlasts outages (a consumer starting before the broker waits for
# it); a publisher must not: its loop backs off, and stops when asked.
DECLARE_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Subscription:
    """A consumer group and the event types it takes.

    `reads_log`: where a Kafka log is configured, this group's consumer reads the log
    whatever `SHOPGRAPH_KAFKA_GROUPS` says (the analytics worker), so it needs no
    queue: one declared there would only fill up.
    """

    group: str
    types: tuple[str, ...]
    reads_log: bool = False

    def __post_init__(self) -> None:
        if not self.types:
            raise ValueError(f"consumer group {self.group} needs at least one event type")


def registry(*subscriptions: Collection[Subscription]) -> tuple[Subscription, ...]:
    """The subscriptions of several subgraphs as one registry; a group named twice
    is an error, since two declarations of one group could disagree on its types."""
    gathered = [s for group in subscriptions for s in group]
    seen: set[str] = set()
    for subscription in gathered:
        if subscription.group in seen:
            raise ValueError(f"consumer group {subscription.group} is named twice")
        seen.add(subscription.group)
    return tuple(gathered)


class GroupDeclarations:
    """Declares every registered group on a process's bus once, on the first `ensure()`.

    A declaration that fails, or takes longer than `timeout` seconds (broker down),
    raises `BusUnavailableError` and is tried again on the next `ensure()`; a
    publisher calls `ensure()` before each publish, so until every group exists
    nothing is published and events wait in the outbox.
    """

    def __init__(
        self,
        bus: EventBus,
        log: EventBus | None,
        subscriptions: Collection[Subscription],
        *,
        timeout: float = DECLARE_TIMEOUT_SECONDS,
    ) -> None:
        """`bus` is the process's bus (routed, when there is a log); `log` the Kafka log."""
        self._bus = bus
        self._log = log
        self.subscriptions = tuple(subscriptions)
        self._timeout = timeout
        self._done = not self.subscriptions
        self._lock = asyncio.Lock()

    @property
    def done(self) -> bool:
        return self._done

    async def ensure(self) -> None:
        if self._done:
            return
        # The relays of one process (`shopgraph worker outbox`) share one declaration.
        async with self._lock:
            if self._done:
                return
            for subscription in self.subscriptions:
                bus = self._log if subscription.reads_log and self._log is not None else self._bus
                try:
                    async with asyncio.timeout(self._timeout):
                        await bus.declare(subscription.group, subscription.types)
                except TimeoutError as error:
                    raise BusUnavailableError(
                        f"could not declare consumer group {subscription.group} "
                        f"within {self._timeout} s"
                    ) from error
            self._done = True
