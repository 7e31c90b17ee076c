"""The consumer group of catalog, and the events it takes: the search indexer (indexer.py).

It is in the installation's registry (shopgraph/subscriptions.py), declared by
every outbox relay before its first publish, so a product changed before the
indexer first ran still reaches the index.
"""

from __future__ import annotations

from subgraphs.catalog.events import STOCK_CHANGED
from subgraphs.platform.events.subscriptions import Subscription

SEARCH_INDEXER = Subscription(
    "catalog.search-indexer",
    ("product.created", "product.updated", "product.deleted", STOCK_CHANGED),
)

SUBSCRIPTIONS = (SEARCH_INDEXER,)
