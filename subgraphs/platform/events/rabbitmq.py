"""The `EventBus` on RabbitMQ: the bus between shopgraph processes.

Topology, all durable, for a bus on exchange X (default `shopgraph.events`):

- X, a topic exchange; an event is published to it with routing key `event.type`,
  persistent, `message_id` = the event id, body = `event.to_bytes()`.
- per consumer group G: queue `G`, bound to X once per event type the group asked
  for; `G.retry.<delay>` (e.g. `G.retry.5s`, `G.retry.50ms`) per retry delay, whose
  messages expire after the delay and are dead-lettered back into `G`; and `G.dead`,
  the dead letters, which nothing consumes.

A group's queues exist from its first `consume()` or `declare()` on: an event
published before then reaches no queue of it. A producer whose events a worker
elsewhere must not miss declares that worker's group first (commerce/queues.py).

A retried event is a copy carrying header `x-attempt` (absent = 1), published
with a confirm to the delay queue of its attempt before the original is acked; a
crash in between delivers it twice, which consumers absorb through the inbox.
After the last delay the copy goes to `G.dead` with header `x-dead-reason`.

A message whose body is not an `Event` can never be handled, so the consumer
does not hand it out: it logs it and moves the raw bytes to `G.dead` (reason
`malformed: ...`), where `dead_letters` skips it and `requeue_dead_letters`
leaves it, for an operator to read with RabbitMQ's own tools.

Lifecycle: `await bus.start()` connects (failing fast if the broker is down),
`await bus.close()` ends consumers and disconnects. The connection is robust:
after a broker restart or a network cut it reconnects every `reconnect_interval`
seconds and re-declares the topology and consumers, so a running consumer
resumes by itself. While disconnected, `publish` raises `BusUnavailableError`
(at the latest after `publish_timeout`) and the outbox relay retries later;
deliveries handed out before the cut can no longer be settled (settling them
only logs a warning) and the broker delivers them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar, cast

import aio_pika
from aio_pika import DeliveryMode, Message
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
    AbstractRobustQueue,
    HeadersType,
)
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError, ChannelNotFoundEntity
from aiormq import Channel

from subgraphs.platform.events.bus import (
    DEFAULT_RETRY_DELAYS,
    BusClosedError,
    BusUnavailableError,
    Delivery,
)
from subgraphs.platform.events.envelope import Event
from subgraphs.platform.events.rabbitmq_batch import Outgoing, publish_confirmed
from subgraphs.platform.events.rabbitmq_messages import (
    decode_event,
    event_message,
    event_properties,
)
from subgraphs.platform.transient import one_line

logger = logging.getLogger(__name__)

# How a broken connection shows, depending on when it is noticed: reset socket,
# closed channel (a RuntimeError in aiormq), negative confirm, or no confirm in time.
_UNAVAILABLE = (AMQPError, ChannelInvalidStateError, OSError, TimeoutError)

_T = TypeVar("_T")

ATTEMPT_HEADER = "x-attempt"
DEAD_REASON_HEADER = "x-dead-reason"


def retry_queue_name(group: str, delay: float) -> str:
    """`G.retry.5s`, or `G.retry.50ms` for a delay that is not whole seconds."""
    millis = round(delay * 1000)
    label = f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"
    return f"{group}.retry.{label}"


def dead_queue_name(group: str) -> str:
    return f"{group}.dead"


class RabbitMQBus:
    """An `EventBus` on a RabbitMQ broker; call `start()` before use and `close()` after."""

    def __init__(
        self,
        url: str,
        *,
        prefetch: int = 16,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        exchange: str = "shopgraph.events",
        publish_timeout: float = 10.0,
        reconnect_interval: float = 2.0,
    ) -> None:
        if prefetch < 1:
            raise ValueError(f"prefetch must be at least 1, got {prefetch}")
        if any(round(delay * 1000) < 1 for delay in retry_delays):
            raise ValueError(f"retry delays must be at least 1 ms, got {retry_delays!r}")
        self._url = url
        self._prefetch = prefetch
        self.retry_delays = tuple(retry_delays)
        self._exchange_name = exchange
        self.publish_timeout = publish_timeout
        self._reconnect_interval = reconnect_interval
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None
        self._publisher: AbstractRobustChannel | None = None
        self._declarations: set[asyncio.Task[_Subscription]] = set()
        self._inboxes: set[asyncio.Queue[AbstractIncomingMessage | None]] = set()
        self._closed = False

    async def start(self) -> None:
        """Connect and declare the exchange; `BusUnavailableError` if the broker is down."""
        if self._connection is not None:
            raise RuntimeError("the bus was already started")
        try:
            connection = await aio_pika.connect_robust(
                self._url,
                reconnect_interval=self._reconnect_interval,
                timeout=self.publish_timeout,
            )
        except _UNAVAILABLE as error:
            raise BusUnavailableError(f"cannot connect to RabbitMQ: {error}") from error
        try:
            # on_return_raises: a retry or dead-letter copy published to a queue that
            # does not exist must fail before the original is acked, not vanish.
            self._publisher = await connection.channel(
                publisher_confirms=True, on_return_raises=True
            )
            self._exchange = await self._publisher.declare_exchange(
                self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )
        except BaseException:
            # Callers do not close a bus that failed to start: a connection left open
            # here would keep reconnecting until the garbage collector closed it, with
            # a coroutine nobody awaits when no loop runs then.
            await connection.close()
            raise
        self._connection = connection

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for declaration in self._declarations:
            declaration.cancel()
        for inbox in self._inboxes:
            inbox.put_nowait(None)  # wakes the consumer, which then ends
        if self._connection is not None:
            # Closing the connection hands every unacknowledged delivery back to the broker.
            await self._connection.close()

    async def publish(self, events: Sequence[Event]) -> None:
        publisher = self._ready()[2]
        async with self._confirmed(f"{len(events)} events"):
            # A consume() of this bus still declaring its queue goes first, or these
            # events would miss that group.
            pending = [task for task in self._declarations if not task.done()]
            if pending:
                await asyncio.wait(pending)
            # Straight onto aio-pika's underlying aiormq channel, without a Message
            # object per event, and the whole batch in one socket write
            # (rabbitmq_batch.py); every event is still confirmed (a nack raises), so
            # this returns only once the broker took them all. A type nobody
            # subscribes to is normal: not mandatory.
            channel = cast(Channel, await publisher.get_underlay_channel())
            await publish_confirmed(
                channel,
                self._exchange_name,
                [
                    Outgoing(
                        event.to_bytes(), event.type, event_properties(event.id, event.type, {})
                    )
                    for event in events
                ],
            )

    async def declare(self, group: str, types: Collection[str]) -> None:
        """Declares the group's queues and bindings (durable: they outlive this process)."""
        if not types:
            raise ValueError("a group needs at least one event type")
        self._ready()
        subscription = await self._subscribe(group, set(types))
        await subscription.channel.close()

    def consume(self, group: str, types: Collection[str]) -> AsyncIterator[Delivery]:
        if not types:
            raise ValueError("consume needs at least one event type")
        self._ready()
        # Declare now, not on the first anext: publish() of this bus waits for the
        # declaration, so nothing it publishes after consume() returns is missed.
        declaration = asyncio.ensure_future(self._subscribe(group, set(types)))
        self._declarations.add(declaration)
        declaration.add_done_callback(self._declarations.discard)
        return self._deliveries(group, declaration)

    async def dead_letters(self, group: str) -> list[Event]:
        """A snapshot of `G.dead`: the messages are taken unacked and given back when
        the channel closes, so two concurrent calls may each see only part."""
        connection = self._ready()[0]
        events: list[Event] = []
        async with connection.channel(publisher_confirms=False) as channel:
            queue = await _existing_queue(channel, dead_queue_name(group))
            while queue is not None and (message := await queue.get(fail=False)) is not None:
                # Malformed ones were reported when they were buried.
                event = decode_event(message, report=False)
                if event is not None:
                    events.append(event)
        return events

    async def requeue_dead_letters(
        self, group: str, ids: Collection[uuid.UUID] | None = None
    ) -> int:
        connection = self._ready()[0]
        wanted = None if ids is None else set(ids)
        moved = 0
        async with connection.channel(on_return_raises=True) as channel:
            queue = await _existing_queue(channel, dead_queue_name(group))
            while queue is not None and (message := await queue.get(fail=False)) is not None:
                event = decode_event(message, report=False)
                if event is None or (wanted is not None and event.id not in wanted):
                    continue  # stays unacked, so it goes back to G.dead with the channel
                copy = event_message(message.body, event.id, event.type, {ATTEMPT_HEADER: 1})
                async with self._confirmed(f"event {event.id}"):
                    await channel.default_exchange.publish(copy, routing_key=group)
                await message.ack()
                moved += 1
        return moved

    async def _publish_copy(
        self, message: AbstractIncomingMessage, queue: str, headers: HeadersType
    ) -> None:
        """Put a copy of `message` into `queue` and wait for the broker's confirm."""
        copy = Message(
            message.body,
            headers=headers,
            content_type=message.content_type,
            delivery_mode=DeliveryMode.PERSISTENT,
            message_id=message.message_id,
            type=message.type,
        )
        publisher = self._ready()[2]
        async with self._confirmed(f"a copy of message {message.message_id} to {queue}"):
            await publisher.default_exchange.publish(copy, routing_key=queue)

    @asynccontextmanager
    async def _confirmed(self, what: str) -> AsyncIterator[None]:
        """Bound a publish by `publish_timeout` and report any failure one way."""
        try:
            async with asyncio.timeout(self.publish_timeout):
                yield
        except _UNAVAILABLE as error:
            raise BusUnavailableError(
                f"RabbitMQ did not confirm {what} within {self.publish_timeout} s: "
                f"{type(error).__name__}: {error}"
            ) from error

    def _ready(self) -> tuple[AbstractRobustConnection, AbstractExchange, AbstractRobustChannel]:
        if self._closed:
            raise BusClosedError("the event bus is closed")
        if self._connection is None or self._exchange is None or self._publisher is None:
            raise RuntimeError("start the RabbitMQ bus before using it")
        return self._connection, self._exchange, self._publisher

    async def _subscribe(self, group: str, types: set[str]) -> _Subscription:
        # A consumer started just before (or during) an outage must not die of it.
        return await self._outlasting_outages(
            f"declare the queues of {group}", lambda: self._declare(group, types)
        )

    async def _outlasting_outages(self, what: str, step: Callable[[], Awaitable[_T]]) -> _T:
        """`step()`, tried again every `reconnect_interval` until the broker takes it.

        Each try is bounded: opening a channel while the connection is down can
        wait on a reconnect that never hands it back.
        """
        while True:
            try:
                return await asyncio.wait_for(step(), self.publish_timeout)
            except BusClosedError:
                raise
            except (*_UNAVAILABLE, RuntimeError) as error:  # aio-pika: "Connection was not opened"
                logger.warning("could not %s; trying again: %s", what, one_line(error))
                await asyncio.sleep(self._reconnect_interval)

    async def _declare(self, group: str, types: set[str]) -> _Subscription:
        connection = self._ready()[0]
        # A channel per consumer: prefetch counts per consumer, and closing it
        # returns exactly this consumer's unacknowledged deliveries.
        channel = await connection.channel(publisher_confirms=False)
        try:
            await channel.set_qos(prefetch_count=self._prefetch)
            exchange = await channel.declare_exchange(
                self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )
            queue = await channel.declare_queue(group, durable=True)
            for event_type in sorted(types):
                await queue.bind(exchange, routing_key=event_type)
            for delay in sorted(set(self.retry_delays)):
                arguments: HeadersType = {
                    "x-message-ttl": round(delay * 1000),
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": group,
                }
                await channel.declare_queue(
                    retry_queue_name(group, delay), durable=True, arguments=arguments
                )
            await channel.declare_queue(dead_queue_name(group), durable=True)
        except BaseException:
            if not channel.is_closed:
                # Bounded: on a dead connection the close may never be answered.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(channel.close(), 1.0)
            raise
        return _Subscription(channel, queue)

    async def _deliveries(
        self, group: str, declaration: asyncio.Task[_Subscription]
    ) -> AsyncIterator[Delivery]:
        await asyncio.wait([declaration])  # raises nothing; a cancelled one means closed
        if self._closed:
            return
        subscription = declaration.result()
        inbox: asyncio.Queue[AbstractIncomingMessage | None] = asyncio.Queue()
        self._inboxes.add(inbox)
        try:
            # The robust channel re-registers this consumer after a reconnect.
            await self._outlasting_outages(
                f"start consuming {group}", lambda: subscription.queue.consume(inbox.put)
            )
            while (message := await inbox.get()) is not None and not self._closed:
                if not _settleable(message):
                    continue  # its channel died; the broker redelivers it
                event = decode_event(message)
                if event is None:
                    await self._bury_malformed(group, message)
                    continue
                yield _RabbitMQDelivery(self, group, message, event)
        finally:
            self._inboxes.discard(inbox)
            # A consumer stopping on its own closes its channel, so the broker hands
            # its unacked deliveries to the others. When the bus closes, closing the
            # connection does that, and a second close here would race it.
            if not self._closed and not subscription.channel.is_closed:
                await subscription.channel.close()

    async def _bury_malformed(self, group: str, message: AbstractIncomingMessage) -> None:
        queue = dead_queue_name(group)
        try:
            await self._publish_copy(message, queue, {DEAD_REASON_HEADER: "malformed event"})
            await message.ack()
        except (BusUnavailableError, ChannelInvalidStateError):
            # Left unacked: the broker hands it out again and the next try buries it.
            logger.warning("could not move a malformed message to %s yet", queue, exc_info=True)


@dataclass(frozen=True)
class _Subscription:
    channel: AbstractRobustChannel
    queue: AbstractRobustQueue


class _RabbitMQDelivery:
    def __init__(
        self, bus: RabbitMQBus, group: str, message: AbstractIncomingMessage, event: Event
    ) -> None:
        self._bus = bus
        self._group = group
        self._message = message
        self._event = event
        attempt = message.headers.get(ATTEMPT_HEADER)
        self._attempt = attempt if isinstance(attempt, int) and attempt >= 1 else 1
        self._settled = False

    @property
    def event(self) -> Event:
        return self._event

    @property
    def redelivered(self) -> bool:
        return bool(self._message.redelivered)

    @property
    def attempt(self) -> int:
        return self._attempt

    async def ack(self) -> None:
        self._settle()
        await self._send(self._message.ack())

    async def nack(self, requeue: bool) -> None:
        self._settle()
        if not requeue:
            logger.warning("event %s (%s) rejected and dropped", self._event.id, self._event.type)
        await self._send(self._message.reject(requeue=requeue))

    async def retry(self) -> None:
        self._check_unsettled()
        delays = self._bus.retry_delays
        if self._attempt <= len(delays):
            queue = retry_queue_name(self._group, delays[self._attempt - 1])
            headers: HeadersType = {ATTEMPT_HEADER: self._attempt + 1}
        else:
            logger.warning(
                "event %s (%s) failed %d attempts; moved to the dead letters",
                self._event.id,
                self._event.type,
                self._attempt,
            )
            queue = dead_queue_name(self._group)
            headers = {
                ATTEMPT_HEADER: self._attempt,
                DEAD_REASON_HEADER: f"gave up after {self._attempt} attempts",
            }
        # Copy first, ack second: if publishing fails the delivery stays unsettled
        # and the caller may still nack it; the event is never lost in between.
        await self._bus._publish_copy(self._message, queue, headers)
        self._settle()
        await self._send(self._message.ack())

    def _check_unsettled(self) -> None:
        if self._settled:
            raise RuntimeError(f"delivery of event {self._event.id} was already settled")

    def _settle(self) -> None:
        self._check_unsettled()
        self._settled = True

    async def _send(self, settlement: Awaitable[None]) -> None:
        try:
            await settlement
        except ChannelInvalidStateError:
            # The channel this came on closed (reconnect or bus closed): the broker
            # already took the delivery back and hands it out again.
            logger.warning(
                "could not settle event %s (%s): its channel closed; it will be redelivered",
                self._event.id,
                self._event.type,
            )


def _settleable(message: AbstractIncomingMessage) -> bool:
    try:
        return not message.channel.is_closed
    except ChannelInvalidStateError:
        return False


async def _existing_queue(channel: AbstractChannel, name: str) -> AbstractQueue | None:
    try:
        return await channel.declare_queue(name, passive=True)
    except ChannelNotFoundEntity:
        return None
