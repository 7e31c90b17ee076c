"""Which events go to which Kafka topic: configuration, not code.

A route maps an event type pattern (`order.*`, or an exact type such as
`product.viewed`) to a topic. The most specific pattern wins: an exact type
before any glob, then the longest glob. A type no pattern matches does not go
to Kafka at all (it still goes to the queue bus, e.g. RabbitMQ).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class TopicRoutes:
    routes: Mapping[str, str]

    def topic_for(self, event_type: str) -> str | None:
        """The topic of `event_type`, or None when it does not go to Kafka."""
        exact = self.routes.get(event_type)
        if exact is not None:
            return exact
        matching = [p for p in self.routes if fnmatchcase(event_type, p)]
        if not matching:
            return None
        return self.routes[max(matching, key=len)]

    def topics_for(self, event_types: Collection[str]) -> list[str]:
        """Every topic that carries at least one of `event_types`, sorted."""
        topics = {self.topic_for(t) for t in event_types}
        return sorted(t for t in topics if t is not None)
