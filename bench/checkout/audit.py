"""After the load: does every unit that left the shelf belong to an order that holds it?

For each product, the stock catalog reports must equal the stock it started
with minus the units in commerce's orders that hold or have bought stock
(PENDING_PAYMENT and PAID; this run refunds and cancels nothing). The units
the clients saw in their checkout replies are compared with commerce's too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from subgraphs.commerce.domain import OrderStatus
from subgraphs.commerce.models import OrderLineRow, OrderRow
from subgraphs.commerce.services import CommerceServices

HOLDING = (OrderStatus.PENDING_PAYMENT.value, OrderStatus.PAID.value)


@dataclass(frozen=True)
class Ledger:
    statuses: Counter[str]  # orders per status, RESERVING (a checkout halfway) included
    units: Counter[str]  # product id -> units in orders that hold stock


async def read_ledger(services: CommerceServices) -> Ledger:
    async with services.database.session() as session:
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
    return Ledger(statuses, units)


def stock_mismatches(
    initial: int, stock: dict[str, int], ledger: Ledger, seen_by_clients: Counter[str]
) -> list[str]:
    """One line per product whose numbers disagree; none when all is well."""
    wrong = []
    for product_id, left in stock.items():
        held = ledger.units[product_id]
        seen = seen_by_clients[product_id]
        if left != initial - held or held != seen:
            wrong.append(
                f"{product_id}: stock {left}, expected {initial} - {held} = {initial - held}"
                f" (units in checkout replies: {seen})"
            )
    return wrong
