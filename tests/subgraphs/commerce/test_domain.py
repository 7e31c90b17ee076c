"""Commerce rules in plain Python: the order state machine, quantity and key bounds, cards.

No servers, no databases: these are the rules the services apply, checked one by one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import product

import pytest

from subgraphs.commerce.domain import (
    OrderStatus,
    check_idempotency_key,
    check_quantity,
    check_transition,
)
from subgraphs.commerce.payments.cards import Card, CardSummary, parse_card
from subgraphs.platform.errors import DomainError, InvalidInput

PENDING = OrderStatus.PENDING_PAYMENT
PAID = OrderStatus.PAID
FAILED = OrderStatus.PAYMENT_FAILED
CANCELLED = OrderStatus.CANCELLED
SHIPPED = OrderStatus.SHIPPED
DELIVERED = OrderStatus.DELIVERED
REFUNDED = OrderStatus.REFUNDED

# Written out here rather than read from TRANSITIONS, so a change to the machine
# has to be made twice: once in the domain and once, deliberately, in this table.
LEGAL_MOVES = {
    (PENDING, PAID),
    (PENDING, FAILED),
    (PENDING, CANCELLED),
    (FAILED, PENDING),
    (FAILED, CANCELLED),
    (PAID, SHIPPED),
    (PAID, REFUNDED),
    (SHIPPED, DELIVERED),
}
ILLEGAL_MOVES = sorted(
    set(product(OrderStatus, OrderStatus)) - LEGAL_MOVES, key=lambda m: (m[0].value, m[1].value)
)

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)


def _move_id(move: object) -> str:
    assert isinstance(move, tuple)
    current, target = move
    return f"{current.value}->{target.value}"


def _errors_of(raised: InvalidInput) -> list[tuple[str, str, list[str] | None]]:
    return [(error.code, error.message, error.field) for error in raised.errors]


# --- the order state machine ------------------------------------------------------------


def test_the_table_covers_every_pair_of_states() -> None:
    assert len(LEGAL_MOVES) + len(ILLEGAL_MOVES) == len(OrderStatus) ** 2 == 49


@pytest.mark.parametrize("move", sorted(LEGAL_MOVES, key=_move_id), ids=_move_id)
def test_a_legal_move_passes(move: tuple[OrderStatus, OrderStatus]) -> None:
    current, target = move
    check_transition(current, target)  # raises if the machine forbids it


@pytest.mark.parametrize("move", ILLEGAL_MOVES, ids=_move_id)
def test_an_illegal_move_is_invalid_state(move: tuple[OrderStatus, OrderStatus]) -> None:
    current, target = move

    with pytest.raises(DomainError) as raised:
        check_transition(current, target)

    assert raised.value.code == "INVALID_STATE"
    assert raised.value.field == ["status"]
    assert raised.value.message == (
        f"an order that is {current.value} cannot become {target.value}"
    )


# --- quantities and idempotency keys ----------------------------------------------------


@pytest.mark.parametrize("quantity", [1, 2, 50, 99])
def test_a_quantity_from_1_to_99_passes(quantity: int) -> None:
    check_quantity(quantity)
    check_quantity(quantity, allow_zero=True)


def test_zero_passes_only_where_it_removes_a_line() -> None:
    check_quantity(0, allow_zero=True)

    with pytest.raises(DomainError) as raised:
        check_quantity(0)

    assert (raised.value.code, raised.value.message, raised.value.field) == (
        "INVALID_QUANTITY",
        "quantity must be between 1 and 99",
        ["quantity"],
    )


@pytest.mark.parametrize("quantity", [-1, -100, 100, 1000])
@pytest.mark.parametrize("allow_zero", [False, True])
def test_a_quantity_out_of_bounds_is_invalid(quantity: int, allow_zero: bool) -> None:
    with pytest.raises(DomainError) as raised:
        check_quantity(quantity, allow_zero=allow_zero)

    low = 0 if allow_zero else 1
    assert (raised.value.code, raised.value.message, raised.value.field) == (
        "INVALID_QUANTITY",
        f"quantity must be between {low} and 99",
        ["quantity"],
    )


@pytest.mark.parametrize(
    ("key", "kept"),
    [("k", "k"), ("  spaced  ", "spaced"), ("x" * 200, "x" * 200), (f" {'y' * 200} ", "y" * 200)],
    ids=["one-char", "stripped", "200-chars", "200-after-strip"],
)
def test_an_idempotency_key_of_1_to_200_characters_is_kept_stripped(key: str, kept: str) -> None:
    assert check_idempotency_key(key) == kept


@pytest.mark.parametrize("key", ["", "   ", "\t\n", "z" * 201], ids=["empty", "blank", "ws", "201"])
def test_an_empty_or_overlong_idempotency_key_is_refused(key: str) -> None:
    with pytest.raises(DomainError) as raised:
        check_idempotency_key(key)

    assert (raised.value.code, raised.value.message, raised.value.field) == (
        "INVALID_IDEMPOTENCY_KEY",
        "the idempotency key must have 1 to 200 characters",
        ["idempotencyKey"],
    )


# --- cards ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "visa"),
        ("4000000000000002", "visa"),
        ("4222222222222", "visa"),  # 13 digits, the old Visa length
        ("5555555555554444", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("378282246310005", "amex"),
        ("371449635398431", "amex"),
        ("6011111111111117", "discover"),
        ("6500000000000002", "discover"),
        ("3530111333300000", "card"),  # JCB: valid, not a brand shopgraph names
        ("30569309025904", "card"),  # Diners Club
    ],
)
def test_a_valid_number_gives_its_brand_and_last_four(number: str, brand: str) -> None:
    card = parse_card(number, 12, 2031, "123", NOW)

    assert card == Card(number, 12, 2031, "123")
    assert card.summary == CardSummary(brand, number[-4:])


@pytest.mark.parametrize(
    "typed", ["4242 4242 4242 4242", "4242-4242-4242-4242", " 4242-4242 42424242 "]
)
def test_spaces_and_dashes_in_the_number_are_dropped(typed: str) -> None:
    card = parse_card(typed, 1, 2031, "999", NOW)

    assert card == Card("4242424242424242", 1, 2031, "999")
    assert card.summary == CardSummary("visa", "4242")


@pytest.mark.parametrize(
    "number",
    [
        "4242424242424241",  # fails the Luhn check
        "4242424242424243",
        "79927398713",  # passes Luhn, but 11 digits
        "4" + "0" * 18 + "4",  # 20 digits
        "",
        "4242x42424242424",
        "4242.4242.4242.4242",
        "-4242424242424242-x",
    ],
)
def test_an_invalid_number_is_invalid_card(number: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_card(number, 12, 2031, "123", NOW)

    assert _errors_of(raised.value) == [
        ("INVALID_CARD", "the card number is not valid", ["cardNumber"])
    ]


@pytest.mark.parametrize(
    "number",
    ["4242424242424242\u00b2", "\u00b2242424242424242"],
    ids=["superscript-last", "superscript-first"],
)
def test_a_number_with_non_ascii_digits_is_invalid_card(number: str) -> None:
    # "²".isdigit() is True but int("²") raises: this must be INVALID_CARD, not a crash.
    with pytest.raises(InvalidInput) as raised:
        parse_card(number, 12, 2031, "123", NOW)

    assert _errors_of(raised.value) == [
        ("INVALID_CARD", "the card number is not valid", ["cardNumber"])
    ]


def test_a_number_in_full_width_digits_is_invalid_card() -> None:
    full_width = "".join(chr(0xFF10 + int(d)) for d in "4242424242424242")

    with pytest.raises(InvalidInput) as raised:
        parse_card(full_width, 12, 2031, "123", NOW)

    assert _errors_of(raised.value) == [
        ("INVALID_CARD", "the card number is not valid", ["cardNumber"])
    ]


@pytest.mark.parametrize(("month", "year"), [(6, 2030), (7, 2030), (1, 2031), (12, 2060)], ids=str)
def test_a_card_valid_this_month_or_later_up_to_30_years_passes(month: int, year: int) -> None:
    assert parse_card("4242424242424242", month, year, "123", NOW).exp_year == year


@pytest.mark.parametrize(("month", "year"), [(5, 2030), (12, 2029), (6, 2000), (12, 30)], ids=str)
def test_an_expired_card_is_card_expired(month: int, year: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_card("4242424242424242", month, year, "123", NOW)

    assert _errors_of(raised.value) == [("CARD_EXPIRED", "the card has expired", ["expYear"])]


def test_an_expiry_more_than_30_years_ahead_is_invalid_card() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_card("4242424242424242", 1, 2061, "123", NOW)

    assert _errors_of(raised.value) == [("INVALID_CARD", "the expiry year is too far", ["expYear"])]


@pytest.mark.parametrize("month", [0, 13, -1])
def test_a_month_outside_1_to_12_is_invalid_card(month: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_card("4242424242424242", month, 2031, "123", NOW)

    assert _errors_of(raised.value) == [("INVALID_CARD", "the month must be 1 to 12", ["expMonth"])]


@pytest.mark.parametrize("cvc", ["123", "1234", "000"])
def test_a_cvc_of_3_or_4_digits_passes(cvc: str) -> None:
    assert parse_card("4242424242424242", 12, 2031, cvc, NOW).cvc == cvc


@pytest.mark.parametrize(
    "cvc", ["", "12", "12345", "12a", " 123", "1 23", "12\u00b3", "\uff11\uff12\uff13"]
)
def test_a_bad_cvc_is_invalid_card(cvc: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_card("4242424242424242", 12, 2031, cvc, NOW)

    assert _errors_of(raised.value) == [("INVALID_CARD", "the CVC must be 3 or 4 digits", ["cvc"])]


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_card("1234 5678", 13, 2031, "1", NOW)

    assert _errors_of(raised.value) == [
        ("INVALID_CARD", "the card number is not valid", ["cardNumber"]),
        ("INVALID_CARD", "the month must be 1 to 12", ["expMonth"]),
        ("INVALID_CARD", "the CVC must be 3 or 4 digits", ["cvc"]),
    ]
    assert str(raised.value) == (
        "the card number is not valid; the month must be 1 to 12; the CVC must be 3 or 4 digits"
    )


def test_an_expired_card_with_a_bad_number_and_cvc_names_all_three() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_card("4242424242424241", 1, 2020, "abc", NOW)

    assert _errors_of(raised.value) == [
        ("INVALID_CARD", "the card number is not valid", ["cardNumber"]),
        ("CARD_EXPIRED", "the card has expired", ["expYear"]),
        ("INVALID_CARD", "the CVC must be 3 or 4 digits", ["cvc"]),
    ]


def test_a_card_never_shows_its_number_or_cvc() -> None:
    card = parse_card("4242 4242 4242 4242", 12, 2031, "987", NOW)

    for shown in (repr(card), str(card), f"{card}", repr([card]), repr({"card": card})):
        assert "4242424242424242" not in shown
        assert "987" not in shown
    assert repr(card) == "Card(exp_month=12, exp_year=2031)"
