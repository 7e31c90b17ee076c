"""The stable codes of the catalog subgraph's expected failures (`UserError.code`).

Every code the subgraph raises is a member, and every member is raised
somewhere (tests/subgraphs/test_error_codes.py); the schema lists them with
their meaning as the `CatalogErrorCode` enum.
"""

from __future__ import annotations

import enum


class CatalogErrorCode(enum.StrEnum):
    FORBIDDEN = "FORBIDDEN"
    """Only staff may change the catalog."""
    NAME_REQUIRED = "NAME_REQUIRED"
    """A product needs a name."""
    NAME_TOO_LONG = "NAME_TOO_LONG"
    """The name is too long."""
    DESCRIPTION_TOO_LONG = "DESCRIPTION_TOO_LONG"
    """The description is too long."""
    INVALID_PRICE = "INVALID_PRICE"
    """The price is not finite, or has more decimals than its currency."""
    NEGATIVE_PRICE = "NEGATIVE_PRICE"
    """The price is below zero."""
    PRICE_TOO_HIGH = "PRICE_TOO_HIGH"
    """The price is above the largest amount stored."""
    NEGATIVE_STOCK = "NEGATIVE_STOCK"
    """Stock cannot go below zero."""
    UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"
    """The currency is not one the shop sells in."""
    UNKNOWN_CATEGORY = "UNKNOWN_CATEGORY"
    """There is no such category."""
    PRODUCT_NOT_FOUND = "PRODUCT_NOT_FOUND"
    """There is no such product."""
    INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE"
    """`first` is out of range."""
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    """Not enough stock to reserve."""
    INVALID_QUANTITY = "INVALID_QUANTITY"
    """A reserved quantity is out of range."""
    TOO_MANY_LINES = "TOO_MANY_LINES"
    """A reservation has too many lines."""
    EMPTY_RESERVATION = "EMPTY_RESERVATION"
    """A reservation has no lines."""
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    """A reservation's products are priced in more than one currency (one order, one currency)."""
    INVALID_CURSOR = "INVALID_CURSOR"
    """The cursor was not made for this list (or this sort)."""
    UNSUPPORTED_SORT = "UNSUPPORTED_SORT"
    """Search results cannot be sorted this way (the search index holds no sortable name)."""
