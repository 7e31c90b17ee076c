"""Publishing a batch of messages on an aiormq channel in one socket write, each confirmed.

aiormq's `basic_publish` queues each message's frames for the connection's
writer as a chunk of its own, and the writer hands each chunk to the socket as
it comes: one send() per event, about a quarter of the outbox relay's busy
time under load. Here the frames of a whole batch go to the writer as one
chunk. The bookkeeping is the one `basic_publish` keeps: under the channel's
lock each message takes the next delivery tag and a confirmation future, which
the channel settles when the broker acks (or nacks) that tag, and fails when
the channel closes. So every message is still confirmed on its own, and a
batch returns only once the broker took all of it.

Only for `mandatory=False` publishes: a returned message is matched to its
publish by message id, which this does not register.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from aiormq import Channel, spec
from aiormq.abc import ChannelFrame
from pamqp.base import Frame
from pamqp.body import ContentBody
from pamqp.header import ContentHeader


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message of a batch."""

    body: bytes
    routing_key: str
    properties: spec.Basic.Properties


async def publish_confirmed(channel: Channel, exchange: str, messages: Sequence[Outgoing]) -> None:
    """Publish `messages` to `exchange` in order, in one write, and return once the broker
    confirmed every one; raise the first failure (a nack's `DeliveryError`, or the
    channel's close reason) after every confirmation is settled."""
    if not channel.publisher_confirms:
        raise ValueError("publish_confirmed needs a channel in publisher-confirm mode")
    if not messages:
        return
    frames: list[Frame | ContentHeader | ContentBody] = []
    for message in messages:
        frames += _frames(exchange, message, channel.max_content_size)
    confirmations: list[asyncio.Future[object]] = []
    async with channel.lock:
        first_tag = channel.delivery_tag + 1
        tags = range(first_tag, first_tag + len(messages))
        for tag in tags:
            confirmation = channel.create_future()
            channel.confirmations[tag] = confirmation
            confirmations.append(confirmation)
        channel.delivery_tag = tags[-1]
        try:
            await channel.write_queue.put(ChannelFrame.marshall(channel.number, frames))
        except BaseException:
            # Not queued (cancelled while the writer's queue was full): the broker saw
            # none of them, so the next publish reuses their tags, as basic_publish does.
            channel.delivery_tag = first_tag - 1
            for tag, confirmation in zip(tags, confirmations, strict=True):
                channel.confirmations.pop(tag, None)
                confirmation.cancel()
            raise
    results = await asyncio.gather(*confirmations, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


def _frames(
    exchange: str, message: Outgoing, max_content_size: int
) -> list[Frame | ContentHeader | ContentBody]:
    """The frames of one publish: method, header, then the body in frame-sized pieces."""
    body = message.body
    return [
        spec.Basic.Publish(exchange=exchange, routing_key=message.routing_key, mandatory=False),
        ContentHeader(properties=message.properties, body_size=len(body)),
        *(
            ContentBody(body[start : start + max_content_size])
            for start in range(0, len(body), max_content_size)
        ),
    ]
