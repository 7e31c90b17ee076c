"""The events social emits, and the ones it consumes from catalog and commerce.

Emitted (insights consumes them): `review.created`, `review.updated`,
`review.deleted`, `review.hidden` and `review.restored`, each with the review
as it is after the change.
"""

from __future__ import annotations

from subgraphs.platform.events import Event, JSONObject
from subgraphs.social.domain import Review

REVIEW_CREATED = "review.created"
REVIEW_UPDATED = "review.updated"
REVIEW_DELETED = "review.deleted"
REVIEW_HIDDEN = "review.hidden"
REVIEW_RESTORED = "review.restored"

# Consumed: which products exist (catalog) and who paid for what (commerce).
PRODUCT_CREATED = "product.created"
PRODUCT_DELETED = "product.deleted"
ORDER_PLACED = "order.placed"
ORDER_STATUS_CHANGED = "order.status_changed"


def review_event(kind: str, review: Review, **extra: str | int | None) -> Event:
    payload: JSONObject = {
        "productId": review.product_id,
        "authorId": review.author_id,
        "rating": review.rating,
        "status": review.status.value,
        "verifiedPurchase": review.verified_purchase,
        "helpfulCount": review.helpful_count,
        "createdAt": review.created_at.isoformat(),
        "updatedAt": review.updated_at.isoformat(),
    }
    payload.update(extra)
    return Event.new(kind, review.id, payload)
