"""The consumer groups of social, and the events each one takes (feeds.py consumes them).

They are in the installation's registry (shopgraph/subscriptions.py), declared by
every outbox relay before its first publish: a purchase paid before social was
first deployed still reaches `social.purchases` and verifies its buyer's review.
"""

from __future__ import annotations

from subgraphs.platform.events.subscriptions import Subscription
from subgraphs.social.events import (
    ORDER_PLACED,
    ORDER_STATUS_CHANGED,
    PRODUCT_CREATED,
    PRODUCT_DELETED,
)

# The products a review may be written for.
CATALOG_GROUP = "social.catalog"
CATALOG = Subscription(CATALOG_GROUP, (PRODUCT_CREATED, PRODUCT_DELETED))
# Who paid for what, which verifies reviews (purchases.py).
PURCHASES_GROUP = "social.purchases"
PURCHASES = Subscription(PURCHASES_GROUP, (ORDER_PLACED, ORDER_STATUS_CHANGED))

SUBSCRIPTIONS = (CATALOG, PURCHASES)
