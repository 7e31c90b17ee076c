"""The consumer groups of commerce, and the events each one takes.

Each group is a durable queue on RabbitMQ, and a queue keeps only what is
published after it exists. The workers run as processes of their own and may
start after commerce has taken orders (a first deploy, a worker added later):
an `order.placed` published before the payments worker ever ran would reach no
queue, be marked sent, and leave its order waiting for a payment forever. So
these groups are in the installation's registry (shopgraph/subscriptions.py),
which every outbox relay declares before its first publish, and the workers
find the events waiting. The consumers take their group and types from here, so
what they consume and what is declared for them cannot disagree.
"""

from __future__ import annotations

from subgraphs.commerce.events import (
    ORDER_PLACED,
    PAYMENT_FAILED,
    PAYMENT_RETRIED,
    PAYMENT_SUCCEEDED,
)
from subgraphs.platform.events.subscriptions import Subscription

# The payments worker: charges placed orders and retried payments.
PAYMENTS_GROUP = "commerce.payments"
PAYMENT_TYPES = (ORDER_PLACED, PAYMENT_RETRIED)
# The order jobs (background.py): orders moved on payment outcomes, carts emptied.
OUTCOMES_GROUP = "commerce.orders"
OUTCOME_TYPES = (PAYMENT_SUCCEEDED, PAYMENT_FAILED)
CARTS_GROUP = "commerce.carts"
CART_TYPES = (ORDER_PLACED,)
# The product cache's feed (product_cache.py): catalog's product and stock events.
PRODUCT_EVENTS = ("product.created", "product.updated", "product.deleted")
STOCK_CHANGED = "stock.changed"
PRODUCT_CACHE_GROUP = "commerce.product-cache"
PRODUCT_CACHE_TYPES = (*PRODUCT_EVENTS, STOCK_CHANGED)

PAYMENTS = Subscription(PAYMENTS_GROUP, PAYMENT_TYPES)
OUTCOMES = Subscription(OUTCOMES_GROUP, OUTCOME_TYPES)
CARTS = Subscription(CARTS_GROUP, CART_TYPES)
PRODUCT_CACHE = Subscription(PRODUCT_CACHE_GROUP, PRODUCT_CACHE_TYPES)

SUBSCRIPTIONS = (PAYMENTS, OUTCOMES, CARTS, PRODUCT_CACHE)
