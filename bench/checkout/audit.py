"""After the load: did checkout oversell, charge twice, or leave an order halfway?

For each product, the stock catalog reports must equal the stock it started
with minus the units in commerce's orders that hold or have bought stock
(PENDING_PAYMENT and PAID; this run refunds and cancels nothing) and minus the
units reserved under checkout holds still open (a checkout that reserved and
wrote no order: its client got an error; the sweeper gives them back after
SHOPGRAPH_CHECKOUT_HOLD_SECONDS), which are counted apart; the units the
clients saw in their checkout replies, plus those of the orders made by
checkouts whose client got no answer (it timed out, or the router gave up
while commerce went on; found by their idempotency keys), must be those of the
orders. Units held by
orders beyond what left the shelf, or stock below zero, are oversold. A
double charge is an order with more than one successful charge in the
payment simulator's own ledger (its `payment_simulator` schema).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.catalog.models import ReservationRow
from subgraphs.catalog.reservations import RESERVED
from subgraphs.commerce.domain import OrderStatus
from subgraphs.commerce.models import CheckoutHoldRow, OrderLineRow, OrderRow
from subgraphs.platform.database import Database

HOLDING = (OrderStatus.PENDING_PAYMENT.value, OrderStatus.PAID.value)
# Where a bench order may end: paid, or still on its way there when the run stopped.
EXPECTED = frozenset({OrderStatus.PAID.value, OrderStatus.PENDING_PAYMENT.value})
DOUBLE_CHARGES = text(
    "SELECT count(*) FROM (SELECT p.order_id FROM payment_simulator.simulated_charges c "
    "JOIN payments p ON p.id = c.payment_id WHERE c.outcome = 'succeeded' "
    "GROUP BY p.order_id HAVING count(*) > 1) AS twice"
)


@dataclass(frozen=True)
class Ledger:
    statuses: Counter[str]  # orders per status (a checkout halfway is a hold, not an order)
    units: Counter[str]  # product id -> units in orders that hold stock
    double_charged: int  # orders charged successfully more than once
    open_holds: int  # checkouts halfway when the run ended
    in_holds: Counter[str]  # product id -> units reserved under those holds
    unanswered_orders: int  # orders made by checkouts whose client got no answer
    unanswered_units: Counter[str]  # product id -> units in those orders

    @property
    def unexpected(self) -> Counter[str]:
        return Counter({s: n for s, n in self.statuses.items() if s not in EXPECTED})


async def read_ledger(
    commerce: Database, catalog: Database, unanswered_keys: Sequence[str] = ()
) -> Ledger:
    """`unanswered_keys`: idempotency keys of checkouts whose client got no answer."""
    async with commerce.session() as session:
        statuses = Counter(
            {
                str(status): int(count)
                for status, count in await session.execute(
                    select(OrderRow.status, func.count()).group_by(OrderRow.status)
                )
            }
        )
        units = Counter(
            {
                str(product_id): int(quantity)
                for product_id, quantity in await session.execute(
                    select(OrderLineRow.product_id, func.sum(OrderLineRow.quantity))
                    .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
                    .where(OrderRow.status.in_(HOLDING))
                    .group_by(OrderLineRow.product_id)
                )
            }
        )
        double_charged = int(await session.scalar(DOUBLE_CHARGES) or 0)
        holds = list(await session.scalars(select(CheckoutHoldRow.reservation_key)))
        unanswered_orders, unanswered_units = await _orders_of_keys(session, unanswered_keys)
    in_holds: Counter[str] = Counter()
    if holds:
        async with catalog.session() as session:
            in_holds.update(
                {
                    str(product_id): int(quantity)
                    for product_id, quantity in await session.execute(
                        select(ReservationRow.product_id, func.sum(ReservationRow.quantity))
                        .where(
                            ReservationRow.order_id.in_(holds), ReservationRow.status == RESERVED
                        )
                        .group_by(ReservationRow.product_id)
                    )
                }
            )
    return Ledger(
        statuses, units, double_charged, len(holds), in_holds, unanswered_orders, unanswered_units
    )


async def _orders_of_keys(session: AsyncSession, keys: Sequence[str]) -> tuple[int, Counter[str]]:
    """How many orders the checkouts with these keys made, and their units that hold stock."""
    orders, units = 0, Counter[str]()
    for start in range(0, len(keys), 1000):
        chunk = list(keys[start : start + 1000])
        orders += int(
            await session.scalar(select(func.count()).where(OrderRow.idempotency_key.in_(chunk)))
            or 0
        )
        for product_id, quantity in await session.execute(
            select(OrderLineRow.product_id, func.sum(OrderLineRow.quantity))
            .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
            .where(OrderRow.idempotency_key.in_(chunk), OrderRow.status.in_(HOLDING))
            .group_by(OrderLineRow.product_id)
        ):
            units[str(product_id)] += int(quantity)
    return orders, units


def oversold(initial: int, stock: dict[str, int], ledger: Ledger) -> int:
    """Units that orders hold beyond what left the shelf, plus any stock below zero."""
    return sum(
        max(0, ledger.units[product_id] - (initial - left)) + max(0, -left)
        for product_id, left in stock.items()
    )


def stock_mismatches(
    initial: int, stock: dict[str, int], ledger: Ledger, seen_by_clients: Counter[str]
) -> list[str]:
    """One line per product whose numbers disagree; none when all is well."""
    wrong = []
    for product_id, left in stock.items():
        held, halfway = ledger.units[product_id], ledger.in_holds[product_id]
        seen, unseen = seen_by_clients[product_id], ledger.unanswered_units[product_id]
        if left != initial - held - halfway or held != seen + unseen:
            wrong.append(
                f"{product_id}: stock {left}, expected {initial} - {held} in orders - {halfway}"
                f" in open holds = {initial - held - halfway} (units in checkout replies: {seen}"
                f", in orders of unanswered checkouts: {unseen})"
            )
    return wrong
