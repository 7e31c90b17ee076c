"""The consumer groups of commerce's workers, and the events each one takes.

Each group is a durable queue on RabbitMQ, and a queue keeps only what is
published after it exists. The workers run as processes of their own and may
start after commerce has taken orders (a first deploy, a worker added later):
an `order.placed` published before the payments worker ever ran would reach no
queue, be marked sent, and leave its order waiting for a payment forever. So
every commerce process declares these groups as it opens (services.open_core),
before anything of it can publish, and the workers find the events waiting.
"""

from __future__ import annotations

from subgraphs.commerce.events import (
    ORDER_PLACED,
    PAYMENT_FAILED,
    PAYMENT_RETRIED,
    PAYMENT_SUCCEEDED,
)

# The payments worker: charges placed orders and retried payments.
PAYMENTS_GROUP = "commerce.payments"
PAYMENT_TYPES = (ORDER_PLACED, PAYMENT_RETRIED)
# The order jobs (background.py): orders moved on payment outcomes, carts emptied.
OUTCOMES_GROUP = "commerce.orders"
OUTCOME_TYPES = (PAYMENT_SUCCEEDED, PAYMENT_FAILED)
CARTS_GROUP = "commerce.carts"
CART_TYPES = (ORDER_PLACED,)

WORK_QUEUES: dict[str, tuple[str, ...]] = {
    PAYMENTS_GROUP: PAYMENT_TYPES,
    OUTCOMES_GROUP: OUTCOME_TYPES,
    CARTS_GROUP: CART_TYPES,
}
