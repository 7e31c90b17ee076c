"""The stable codes of the commerce subgraph's expected failures (`UserError.code`).

Every code the subgraph raises is a member, and every member is raised
somewhere (tests/subgraphs/test_error_codes.py); the schema lists them with
their meaning as the `CommerceErrorCode` enum.
"""

from __future__ import annotations

import enum


class CommerceErrorCode(enum.StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    """Sign in first."""
    FORBIDDEN = "FORBIDDEN"
    """The order or cart is not the caller's, or the action is for staff."""
    INVALID_QUANTITY = "INVALID_QUANTITY"
    """A cart quantity is out of range."""
    TOO_MANY_LINES = "TOO_MANY_LINES"
    """The cart has too many lines."""
    PRODUCT_NOT_FOUND = "PRODUCT_NOT_FOUND"
    """A product in the cart is no longer sold."""
    EMPTY_CART = "EMPTY_CART"
    """The cart is empty."""
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    """The cart mixes currencies."""
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    """Not enough stock for the cart."""
    INVALID_IDEMPOTENCY_KEY = "INVALID_IDEMPOTENCY_KEY"
    """The idempotency key is empty or too long."""
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    """The idempotency key was used for another cart."""
    CHECKOUT_CONFLICT = "CHECKOUT_CONFLICT"
    """Racing requests kept the checkout from finishing; try again."""
    INVALID_CARD = "INVALID_CARD"
    """The card number, month, year or CVC is not valid."""
    CARD_EXPIRED = "CARD_EXPIRED"
    """The card has expired."""
    ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
    """There is no such order."""
    INVALID_STATE = "INVALID_STATE"
    """The order's status does not allow this."""
    INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE"
    """`first` is out of range."""
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    """The catalog did not answer; nothing changed, try again."""
    INVALID_CURSOR = "INVALID_CURSOR"
    """The cursor was not made for this list (or this sort)."""
