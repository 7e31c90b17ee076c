"""Facets every backend reports the same way: values, labels, order, and price in cents.

Backends count; this module names and orders what they counted:
- "category": value = category id, label = category name; most documents first,
  then by label.
- "price": the PRICE_RANGES buckets, cheapest first; value "25-50" (with "*"
  for an open end), label "$25 - $50" (an en dash), "Under $25", "$250 and up". A bucket
  holds prices from its lower bound up to but excluding its upper bound.
- "inStock": "true" ("In stock") before "false" ("Out of stock").
Values nothing matched are left out, as a terms aggregation leaves them out.

Prices are indexed as whole cents (the catalog keeps two decimals), so every
backend compares integers and no float rounding moves a product across a bucket
boundary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from subgraphs.catalog.search.port import PRICE_RANGES, Facet, FacetValue


@dataclass(frozen=True, slots=True)
class PriceBucket:
    value: str
    label: str
    from_cents: int | None  # inclusive
    to_cents: int | None  # exclusive


def cents(price: Decimal) -> int:
    """A document's price in whole cents."""
    return int((price * 100).to_integral_value(ROUND_HALF_EVEN))


def min_cents(price: Decimal) -> int:
    """The smallest whole-cent price that is >= `price` (for an inclusive lower bound)."""
    return int((price * 100).to_integral_value(ROUND_CEILING))


def max_cents(price: Decimal) -> int:
    """The largest whole-cent price that is <= `price` (for an inclusive upper bound)."""
    return int((price * 100).to_integral_value(ROUND_FLOOR))


def _bucket(low: Decimal | None, high: Decimal | None) -> PriceBucket:
    value = f"{'*' if low is None else _amount(low)}-{'*' if high is None else _amount(high)}"
    if low is None and high is not None:
        label = f"Under ${_amount(high)}"
    elif high is None and low is not None:
        label = f"${_amount(low)} and up"
    elif low is not None and high is not None:
        label = f"${_amount(low)} \N{EN DASH} ${_amount(high)}"
    else:
        label = "Any price"
    return PriceBucket(
        value,
        label,
        None if low is None else min_cents(low),
        None if high is None else min_cents(high),
    )


def _amount(amount: Decimal) -> str:
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


PRICE_BUCKETS: tuple[PriceBucket, ...] = tuple(_bucket(low, high) for low, high in PRICE_RANGES)


def price_bucket(price_cents: int) -> PriceBucket:
    """The bucket a price falls in (the buckets cover every price)."""
    for bucket in PRICE_BUCKETS:
        above_low = bucket.from_cents is None or price_cents >= bucket.from_cents
        below_high = bucket.to_cents is None or price_cents < bucket.to_cents
        if above_low and below_high:
            return bucket
    raise ValueError(f"PRICE_RANGES leave a gap at {price_cents} cents")


def build(
    categories: Iterable[tuple[str, str | None, int]],
    prices: Mapping[str, int],
    stock: Mapping[bool, int],
) -> tuple[Facet, ...]:
    """The three facets from counts: (category id, name, count), bucket value -> count,
    in stock -> count."""
    category_values = sorted(
        (FacetValue(value, label or value, count) for value, label, count in categories if count),
        key=lambda facet_value: (-facet_value.count, facet_value.label, facet_value.value),
    )
    price_values = [
        FacetValue(bucket.value, bucket.label, prices[bucket.value])
        for bucket in PRICE_BUCKETS
        if prices.get(bucket.value)
    ]
    stock_values = [
        FacetValue("true" if in_stock else "false", label, stock[in_stock])
        for in_stock, label in ((True, "In stock"), (False, "Out of stock"))
        if stock.get(in_stock)
    ]
    return (
        Facet("category", tuple(category_values)),
        Facet("price", tuple(price_values)),
        Facet("inStock", tuple(stock_values)),
    )
