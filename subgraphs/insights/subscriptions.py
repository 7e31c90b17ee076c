"""The consumer groups of insights, and the events each one takes.

Both are in the installation's registry (shopgraph/subscriptions.py), declared by
every outbox relay before its first publish. Where to: the recommendations group
reads the Kafka log when `SHOPGRAPH_KAFKA_GROUPS` names it (the default) and the
queue bus otherwise, as the routed bus decides for its consumer too. The analytics
group reads the log whenever there is one (`shopgraph worker analytics`), and
the queue bus only without it (the insights process's sink): `reads_log`.
"""

from __future__ import annotations

from subgraphs.insights.analytics.facts import EVENT_TYPES as ANALYTICS_TYPES
from subgraphs.insights.recommendations.counting import EVENT_TYPES as RECOMMENDATION_TYPES
from subgraphs.platform.events.subscriptions import Subscription

RECOMMENDATIONS = Subscription("insights.recommendations", RECOMMENDATION_TYPES)
ANALYTICS = Subscription("insights.analytics", ANALYTICS_TYPES, reads_log=True)

SUBSCRIPTIONS = (RECOMMENDATIONS, ANALYTICS)
