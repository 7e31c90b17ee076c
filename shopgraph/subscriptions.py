"""The installation's registry of consumer groups: every subgraph's, in one place.

Each subgraph names its groups and their event types in a module of its own
(`subgraphs/commerce/queues.py`, `subgraphs/<name>/subscriptions.py`); its
consumers consume exactly those. A subgraph cannot import another, so only this
layer sees them all. Every platform a `shopgraph` command opens carries the
registry, and its publishers (the outbox relays, the tracker) declare every group
before their first publish: an event cannot be published before the queue of a
group that will want it exists, even when that group's consumer has never run.

The price: on RabbitMQ a declared group's queue keeps every event of its types
until its consumer takes them, so a group whose consumer is never deployed
fills up. An installation that leaves a subgraph or worker out names its groups
in `SHOPGRAPH_UNDEPLOYED_GROUPS` (README, "Consumer groups and their queues").
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from subgraphs.platform.events.subscriptions import Subscription, registry
from subgraphs.platform.resources import Platform
from subgraphs.platform.resources import open_platform as open_bare_platform
from subgraphs.platform.settings import Settings


def subscriptions() -> tuple[Subscription, ...]:
    """Every consumer group of every subgraph and worker (users consumes none)."""
    # Imported here, as shopgraph/registry.py imports subgraphs: only by the commands
    # that open a platform.
    from subgraphs.catalog.subscriptions import SUBSCRIPTIONS as CATALOG
    from subgraphs.commerce.queues import SUBSCRIPTIONS as COMMERCE
    from subgraphs.insights.subscriptions import SUBSCRIPTIONS as INSIGHTS
    from subgraphs.social.subscriptions import SUBSCRIPTIONS as SOCIAL

    return registry(CATALOG, COMMERCE, SOCIAL, INSIGHTS)


class UnknownGroupsError(ValueError):
    """`SHOPGRAPH_UNDEPLOYED_GROUPS` names what is no consumer group."""


def deployed(settings: Settings) -> tuple[Subscription, ...]:
    """The registry less the groups `SHOPGRAPH_UNDEPLOYED_GROUPS` leaves out; a name
    there that is no group is refused, since a typo would keep the queue it meant to drop."""
    every = subscriptions()
    unknown = sorted(set(settings.undeployed_groups) - {s.group for s in every})
    if unknown:
        raise UnknownGroupsError(
            f"SHOPGRAPH_UNDEPLOYED_GROUPS: no consumer group is named {', '.join(unknown)}; "
            f"the groups are {', '.join(s.group for s in every)}"
        )
    return tuple(s for s in every if s.group not in settings.undeployed_groups)


def open_platform(settings: Settings) -> AbstractAsyncContextManager[Platform]:
    """The platform of a `shopgraph` process: its publishers declare every deployed
    group first."""
    return open_bare_platform(settings, deployed(settings))
