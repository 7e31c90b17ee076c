"""Domain events between subgraphs: envelope, bus port, transactional outbox and inbox.

A mutation writes its change and its events (`add_to_outbox`) in one
transaction; an `OutboxRelay` publishes committed events to an `EventBus`;
a consumer records each handled event (`record_handled`) in the transaction of
its effect and skips repeats. Together: at-least-once delivery, exactly-once
effects, and nothing lost while a broker is down.
"""

from subgraphs.platform.events.bus import (
    BusClosedError,
    BusUnavailableError,
    Delivery,
    EventBus,
    InProcessBus,
)
from subgraphs.platform.events.envelope import Event, JSONObject, JSONValue, MalformedEventError
from subgraphs.platform.events.inbox import inbox_table, record_all_handled, record_handled
from subgraphs.platform.events.kafka import KafkaBus
from subgraphs.platform.events.outbox import (
    OutboxRelay,
    add_to_outbox,
    event_arrays,
    event_of_row,
    insert_events_of_subjects,
    outbox_rows,
    outbox_table,
)
from subgraphs.platform.events.rabbitmq import RabbitMQBus
from subgraphs.platform.events.routed import RoutedBus
from subgraphs.platform.events.routes import TopicRoutes

__all__ = [
    "BusClosedError",
    "BusUnavailableError",
    "Delivery",
    "Event",
    "EventBus",
    "InProcessBus",
    "JSONObject",
    "JSONValue",
    "KafkaBus",
    "MalformedEventError",
    "OutboxRelay",
    "RabbitMQBus",
    "RoutedBus",
    "TopicRoutes",
    "add_to_outbox",
    "event_arrays",
    "event_of_row",
    "inbox_table",
    "insert_events_of_subjects",
    "outbox_rows",
    "outbox_table",
    "record_all_handled",
    "record_handled",
]
