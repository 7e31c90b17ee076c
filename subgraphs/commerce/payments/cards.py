"""Card details as a customer types them: checked, summarised, and never stored.

A `Card` exists only between the checkout request and the provider's
tokenisation; what outlives it is a `CardSummary` (brand and last four digits)
and the provider's token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from subgraphs.commerce.errors import CommerceErrorCode
from subgraphs.platform.errors import DomainError, InvalidInput

# Leading digits of the brands shopgraph names; other valid numbers are "card".
_BRANDS = (
    ("amex", ("34", "37")),
    ("mastercard", ("51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27")),
    ("discover", ("6011", "65")),
    ("visa", ("4",)),
)


@dataclass(frozen=True, slots=True)
class CardSummary:
    brand: str
    last4: str


@dataclass(frozen=True, slots=True)
class Card:
    # repr=False: a card number must never reach a log line or a traceback.
    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False)

    @property
    def summary(self) -> CardSummary:
        return CardSummary(brand_of(self.number), self.number[-4:])


def parse_card(number: str, exp_month: int, exp_year: int, cvc: str, now: datetime) -> Card:
    """A checked card, or INVALID_CARD / CARD_EXPIRED errors naming every bad field."""
    digits = number.replace(" ", "").replace("-", "")
    errors = []
    if not (_is_digits(digits) and 12 <= len(digits) <= 19 and _luhn_valid(digits)):
        errors.append(
            DomainError(
                CommerceErrorCode.INVALID_CARD, "the card number is not valid", ["cardNumber"]
            )
        )
    if not 1 <= exp_month <= 12:
        errors.append(
            DomainError(CommerceErrorCode.INVALID_CARD, "the month must be 1 to 12", ["expMonth"])
        )
    elif (exp_year, exp_month) < (now.year, now.month):
        errors.append(
            DomainError(CommerceErrorCode.CARD_EXPIRED, "the card has expired", ["expYear"])
        )
    elif exp_year > now.year + 30:
        errors.append(
            DomainError(CommerceErrorCode.INVALID_CARD, "the expiry year is too far", ["expYear"])
        )
    if not (_is_digits(cvc) and len(cvc) in (3, 4)):
        errors.append(
            DomainError(CommerceErrorCode.INVALID_CARD, "the CVC must be 3 or 4 digits", ["cvc"])
        )
    if errors:
        raise InvalidInput(errors)
    return Card(digits, exp_month, exp_year, cvc)


def brand_of(number: str) -> str:
    for brand, prefixes in _BRANDS:
        if number.startswith(prefixes):
            return brand
    return "card"


def _is_digits(text: str) -> bool:
    # str.isdigit() also accepts "²" or full-width digits, which int() refuses.
    return text.isascii() and text.isdigit()


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0
