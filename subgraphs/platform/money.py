"""Money: a Decimal amount with its currency, exact to the cent, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import strawberry

CENT = Decimal("0.01")


def to_amount(value: Decimal | str | int) -> Decimal:
    """`value` rounded half-up to cents, the same on every database.

    PostgreSQL and SQLite round NUMERIC(…, 2) differently (9.995 becomes 10.00
    on one and 9.99 on the other), so amounts are quantized before they are stored.
    """
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError, TypeError) as error:
        raise ValueError(f"{value!r} is not an amount of money") from error
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount of money")
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    # -0 is an amount of zero; kept signed it would be stored and shown as "-0.00".
    return rounded.copy_abs() if rounded.is_zero() else rounded


@strawberry.federation.type(shareable=True)
class Money:
    amount: Decimal
    currency: str
