"""Catalog values and rules, in plain Python."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from subgraphs.catalog.errors import CatalogErrorCode
from subgraphs.platform.errors import DomainError

NAME_MAX = 200
DESCRIPTION_MAX = 10_000
CURRENCIES = frozenset({"USD", "EUR", "GBP"})
CURRENCY_DECIMALS = 2
PRICE_MAX = Decimal("9999999999.99")


class ProductSort(enum.Enum):
    NEWEST = "NEWEST"
    PRICE_ASC = "PRICE_ASC"
    PRICE_DESC = "PRICE_DESC"
    NAME = "NAME"
    RELEVANCE = "RELEVANCE"


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    name: str
    description: str
    price: Decimal
    currency: str
    stock: int
    category: Category | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @property
    def in_stock(self) -> bool:
        return self.stock > 0 and self.deleted_at is None


@dataclass(frozen=True, slots=True)
class ProductFilter:
    category_id: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None


def checked_filter(product_filter: ProductFilter) -> ProductFilter:
    """The filter with finite price bounds, no wider than any price can be.

    A bound past PRICE_MAX selects what PRICE_MAX does, so it is narrowed to it
    rather than refused; NaN and infinities are refused.
    """
    return replace(
        product_filter,
        min_price=_price_bound(product_filter.min_price, "minPrice"),
        max_price=_price_bound(product_filter.max_price, "maxPrice"),
    )


def _price_bound(bound: Decimal | None, field: str) -> Decimal | None:
    if bound is None:
        return None
    if not bound.is_finite():
        message = "a price bound is a finite amount"
        raise DomainError(CatalogErrorCode.INVALID_PRICE, message, ["filter", field])
    return min(max(bound, -PRICE_MAX), PRICE_MAX)


@dataclass(frozen=True, slots=True)
class ProductChanges:
    """Fields of an update; None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    price: Decimal | None = None
    stock: int | None = None
    category_id: str | None = None


def product_errors(
    name: str | None,
    description: str | None,
    price: Decimal | None,
    stock: int | None,
    currency: str | None,
) -> list[DomainError]:
    """What is wrong with these product fields (None: not given, nothing to check)."""
    errors = []
    if name is not None and not name.strip():
        errors.append(
            DomainError(CatalogErrorCode.NAME_REQUIRED, "a product needs a name", ["input", "name"])
        )
    if name is not None and len(name) > NAME_MAX:
        errors.append(
            DomainError(
                CatalogErrorCode.NAME_TOO_LONG,
                f"a name has at most {NAME_MAX} characters",
                ["input", "name"],
            )
        )
    if description is not None and len(description) > DESCRIPTION_MAX:
        errors.append(
            DomainError(
                CatalogErrorCode.DESCRIPTION_TOO_LONG,
                f"a description has at most {DESCRIPTION_MAX} characters",
                ["input", "description"],
            )
        )
    if price is not None:
        errors.extend(price_errors(price))
    if stock is not None and stock < 0:
        errors.append(
            DomainError(
                CatalogErrorCode.NEGATIVE_STOCK, "stock cannot be negative", ["input", "stock"]
            )
        )
    if currency is not None and currency not in CURRENCIES:
        errors.append(
            DomainError(
                CatalogErrorCode.UNKNOWN_CURRENCY,
                f"the currency must be one of {', '.join(sorted(CURRENCIES))}",
                ["input", "currency"],
            )
        )
    return errors


def price_errors(price: Decimal) -> list[DomainError]:
    """What is wrong with a price; every currency we sell in has cents, so two decimals."""
    field = ["input", "price"]
    if not price.is_finite():
        return [DomainError(CatalogErrorCode.INVALID_PRICE, "a price is a finite amount", field)]
    if price < 0:
        return [DomainError(CatalogErrorCode.NEGATIVE_PRICE, "a price cannot be negative", field)]
    # Compared before any rounding: quantizing 1E+400 to cents overflows the context.
    if price > PRICE_MAX:
        return [DomainError(CatalogErrorCode.PRICE_TOO_HIGH, "this price is too high", field)]
    if price != 0 and price.normalize().as_tuple().exponent < -CURRENCY_DECIMALS:  # type: ignore[operator]  # finite, so an int
        return [
            DomainError(
                CatalogErrorCode.INVALID_PRICE,
                f"a price has at most {CURRENCY_DECIMALS} decimals; it is never rounded silently",
                field,
            )
        ]
    return []
