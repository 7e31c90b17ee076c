"""The payment provider port: how commerce tokenises cards, charges and refunds.

A provider charges at most once per payment id, however often it is asked:
the payments worker may be killed after a charge and before it records the
outcome, and then asks again for the same payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from subgraphs.commerce.payments.cards import Card, CardSummary


@dataclass(frozen=True, slots=True)
class PaymentMethod:
    """What is kept of a card: the provider's token for it and a summary to show."""

    token: str
    summary: CardSummary


@dataclass(frozen=True, slots=True)
class ChargeOutcome:
    succeeded: bool
    failure_reason: str | None = None  # e.g. "card_declined", "insufficient_funds"


class TransientPaymentError(Exception):
    """The provider could not decide now (network, timeout, busy): try again later."""


class PaymentProvider(Protocol):
    async def tokenize(self, card: Card) -> PaymentMethod:
        """Hands the card to the provider and returns a token that stands for it."""
        ...

    async def charge(
        self, payment_id: str, token: str, amount: Decimal, currency: str
    ) -> ChargeOutcome:
        """Charges once per `payment_id`; asking again returns the first outcome.

        Raises `TransientPaymentError` when no outcome could be reached.
        """
        ...

    async def refund(self, payment_id: str) -> None:
        """Gives back a successful charge; refunding twice refunds once."""
        ...
