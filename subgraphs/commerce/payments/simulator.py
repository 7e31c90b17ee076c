"""The default payment provider: a simulated card network with documented test cards.

| card number        | outcome                                              |
|--------------------|------------------------------------------------------|
| 4242424242424242   | succeeds                                             |
| 4000000000000002   | declined (`card_declined`)                           |
| 4000000000009995   | fails for insufficient funds (`insufficient_funds`)  |
| 4000000000000119   | fails transiently twice, then succeeds               |
| any other valid    | succeeds                                             |

Tokens name the card's behaviour and its last four digits, never the number.
The simulated network keeps its ledger of charges in a database of its own
(`payment_simulator`: a SQLite file, or a PostgreSQL schema), apart from
commerce's as a real network's is, so a charge stays idempotent per payment id
across worker restarts. It creates its one table itself: it is a stand-in, not
part of shopgraph's schema.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, MetaData, Numeric, String, bindparam, case, null, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.dml import ReturningInsert

from subgraphs.commerce.payments.cards import Card
from subgraphs.commerce.payments.provider import ChargeOutcome, PaymentMethod, TransientPaymentError
from subgraphs.platform.columns import NAMING_CONVENTION, UTCDateTime, utc_now
from subgraphs.platform.database import Database
from subgraphs.platform.settings import Settings

LEDGER_DATABASE = "payment_simulator"

SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
TRANSIENT_TWICE = "4000000000000119"

_BEHAVIOURS = {
    SUCCEEDS: "ok",
    DECLINED: "declined",
    INSUFFICIENT_FUNDS: "funds",
    TRANSIENT_TWICE: "flaky",
}
_FAILURES = {"declined": "card_declined", "funds": "insufficient_funds"}
_TRANSIENT_ATTEMPTS = 2
SUCCEEDED = "succeeded"


class _LedgerTable(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SimulatedChargeRow(_LedgerTable):
    __tablename__ = "simulated_charges"

    payment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    attempts: Mapped[int]
    outcome: Mapped[str | None] = mapped_column(String(40))  # None: only transient failures yet
    refunded: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SimulatedProvider:
    def __init__(self, settings: Settings) -> None:
        self._database = Database(settings, LEDGER_DATABASE)
        self._charge_statement = _charge_statement(self._database.is_sqlite)

    async def start(self) -> None:
        async with self._database.engine.begin() as connection:
            if not self._database.is_sqlite:
                await connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{LEDGER_DATABASE}"')
            await connection.run_sync(_LedgerTable.metadata.create_all)

    async def close(self) -> None:
        await self._database.close()

    async def charged(self, payment_id: str) -> tuple[int, str | None, bool] | None:
        """(attempts, outcome, refunded) of a payment as the network saw it; for tests and ops."""
        async with self._database.session() as session:
            row = await session.get(SimulatedChargeRow, payment_id)
            return None if row is None else (row.attempts, row.outcome, row.refunded)

    async def tokenize(self, card: Card) -> PaymentMethod:
        behaviour = _BEHAVIOURS.get(card.number, "ok")
        return PaymentMethod(f"sim_{behaviour}_{card.number[-4:]}", card.summary)

    async def charge(
        self, payment_id: str, token: str, amount: Decimal, currency: str
    ) -> ChargeOutcome:
        behaviour = token.split("_")[1] if token.startswith("sim_") else "unknown"
        transient = _TRANSIENT_ATTEMPTS if behaviour == "flaky" else 0
        parameters = {
            "payment_id": payment_id,
            "amount": amount,
            "currency": currency,
            "first_outcome": _decide(behaviour, 1),
            "transient": transient,
            "final_outcome": _decide(behaviour, transient + 1),
            "now": utc_now(),
        }
        async with self._database.reading() as connection:
            decided = (await connection.execute(self._charge_statement, parameters)).first()
            if decided is None:
                outcome = await connection.scalar(
                    select(SimulatedChargeRow.outcome).where(
                        SimulatedChargeRow.payment_id == payment_id
                    )
                )
            else:
                outcome = decided.outcome
        if outcome is None:
            raise TransientPaymentError("the simulated network timed out")
        if outcome == SUCCEEDED:
            return ChargeOutcome(succeeded=True)
        return ChargeOutcome(succeeded=False, failure_reason=outcome)

    async def refund(self, payment_id: str) -> None:
        async with self._database.session() as session:
            row = await session.get(SimulatedChargeRow, payment_id, with_for_update=True)
            if row is not None and row.outcome == SUCCEEDED:
                row.refunded = True
                row.updated_at = utc_now()


def _charge_statement(is_sqlite: bool) -> ReturningInsert[tuple[str | None]]:
    """The charge as one statement, built once (its values are parameters).

    The first copy of a payment inserts its row, a later one counts an attempt only
    while no outcome is decided: after `transient` attempts the outcome is final.
    Copies charged at once meet on the row's lock; one that finds the outcome decided
    changes nothing and reads it.
    """
    ledger = SimulatedChargeRow
    attempts = ledger.attempts + 1
    now = bindparam("now", type_=UTCDateTime())
    return (
        (sqlite.insert(ledger) if is_sqlite else postgresql.insert(ledger))
        .values(
            payment_id=bindparam("payment_id"),
            amount=bindparam("amount"),
            currency=bindparam("currency"),
            attempts=1,
            outcome=bindparam("first_outcome"),
            refunded=False,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=[ledger.payment_id],
            set_={
                "attempts": attempts,
                "outcome": case(
                    (attempts <= bindparam("transient", type_=Integer()), null()),
                    else_=bindparam("final_outcome", type_=String()),
                ),
                "updated_at": now,
            },
            where=ledger.outcome.is_(None),
        )
        .returning(ledger.outcome)
    )


def _decide(behaviour: str, attempt: int) -> str | None:
    if behaviour == "unknown":
        return "invalid_token"
    if behaviour == "flaky" and attempt <= _TRANSIENT_ATTEMPTS:
        return None
    return _FAILURES.get(behaviour, SUCCEEDED)
