"""An event as a RabbitMQ message, and back: the bus's wire format.

Body: `event.to_bytes()` (JSON); persistent; `message_id` is the event id and
`type` the event type; headers carry what the bus adds (the attempt of a retried
copy, the reason of a dead letter).
"""

from __future__ import annotations

import logging
import uuid

from aio_pika import DeliveryMode, Message
from aio_pika.abc import AbstractIncomingMessage, HeadersType
from aiormq import spec

from subgraphs.platform.events.envelope import Event, MalformedEventError

# Reported as the bus's own, where its operators look for it.
logger = logging.getLogger("subgraphs.platform.events.rabbitmq")


def event_message(
    body: bytes, event_id: uuid.UUID, event_type: str, headers: HeadersType
) -> Message:
    """An event's body as a persistent message, named by the event's id and type."""
    return Message(
        body,
        headers=headers,
        content_type="application/json",
        delivery_mode=DeliveryMode.PERSISTENT,
        message_id=str(event_id),
        type=event_type,
    )


def event_properties(
    event_id: uuid.UUID, event_type: str, headers: HeadersType
) -> spec.Basic.Properties:
    """The properties `event_message` gives a message, for a publish through aiormq."""
    return spec.Basic.Properties(
        headers=headers,
        content_type="application/json",
        delivery_mode=DeliveryMode.PERSISTENT.value,
        message_id=str(event_id),
        message_type=event_type,
    )


def decode_event(message: AbstractIncomingMessage, *, report: bool = True) -> Event | None:
    try:
        return Event.from_bytes(message.body)
    except MalformedEventError as error:
        if report:
            logger.error(
                "message %s on %s is not an event: %s",
                message.message_id,
                message.routing_key,
                error,
            )
        return None
