"""Measures the outcome consumer of `shopgraph worker orders` in this process: CPU
milliseconds and PostgreSQL round trips per batch of payment outcomes.

It creates orders waiting for payment straight in the commerce tables, then hands
`apply_payment_outcomes` batches of their outcomes (one in five a decline), as the
consumer's batcher would, and reads `time.process_time()` around each call. Catalog
is a stand-in that notes the settle call: its HTTP request is the same whatever the
code measured, and catalog's own work is another process's. Pub/sub goes to Redis
and outbox rows are announced, as `SHOPGRAPH_OUTBOX_RELAY=worker` has it.

Run by run.py, once per tree compared (PYTHONPATH picks the tree); it prints one
line of JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import secrets
import statistics
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, event

from subgraphs.commerce.background import apply_payment_outcomes
from subgraphs.commerce.models import OrderRow, PaymentRow
from subgraphs.commerce.services import CommerceServices, open_core
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.platform.events import Event
from subgraphs.platform.resources import open_platform
from subgraphs.platform.settings import Settings


class SettlingCatalog:
    """Catalog's settle call, noted and answered at once."""

    def __init__(self) -> None:
        self.settled = 0

    async def settle(self, commits: Sequence[str], releases: Sequence[str]) -> None:
        self.settled += len(commits) + len(releases)


class RoundTrips:
    """Statements and transaction ends the engine sends (asyncpg: BEGIN is one too)."""

    def __init__(self, services: CommerceServices) -> None:
        self.count = 0
        engine = services.database.engine.sync_engine
        for name in ("before_cursor_execute", "begin", "commit", "rollback"):
            event.listen(engine, name, self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1


async def waiting_orders(services: CommerceServices, count: int) -> list[tuple[str, str]]:
    """`count` orders waiting for their payment: (order id, payment id) each."""
    now = datetime.now(UTC)
    orders: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    ids: list[tuple[str, str]] = []
    for _ in range(count):
        order_id, payment_id = str(uuid.uuid4()), str(uuid.uuid4())
        ids.append((order_id, payment_id))
        orders.append(
            {
                "id": order_id,
                "user_id": f"bench-{order_id[:8]}",
                "idempotency_key": order_id,
                "status": "PENDING_PAYMENT",
                "total_amount": Decimal("25.00"),
                "currency": "USD",
                "reservation_key": order_id,
                "current_payment_id": payment_id,
                "expires_at": now + timedelta(hours=1),
                "created_at": now,
                "updated_at": now,
            }
        )
        payments.append(
            {
                "id": payment_id,
                "order_id": order_id,
                "status": "PENDING",
                "amount": Decimal("25.00"),
                "currency": "USD",
                "method_token": "tok",
                "card_brand": "visa",
                "card_last4": "4242",
                "failure_reason": None,
                "created_at": now,
                "updated_at": now,
            }
        )
    order_table: Table = OrderRow.__table__  # type: ignore[assignment]
    payment_table: Table = PaymentRow.__table__  # type: ignore[assignment]
    async with services.database.session() as session:
        await session.execute(order_table.insert(), orders)
        await session.execute(payment_table.insert(), payments)
    return ids


def outcome(order_id: str, payment_id: str, declined: bool) -> Event:
    return Event.new(
        "payment.failed" if declined else "payment.succeeded",
        payment_id,
        {
            "orderId": order_id,
            "amount": "25.00",
            "currency": "USD",
            "failureReason": "card_declined" if declined else None,
        },
    )


async def measure(arguments: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(
        data_dir=Path(arguments.data_dir),
        database_url=arguments.postgres_url,
        redis_url=arguments.redis_url,
        outbox_relay="worker",
        # Outside embedded dev a process needs these to start; nothing here signs or calls.
        jwt_private_key=Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode(),
        service_token=secrets.token_urlsafe(32),
    )
    size, batches = arguments.batch, arguments.batches
    async with (
        open_platform(settings) as platform,
        open_core(platform, CommerceSettings(order_jobs="worker")) as core,
    ):
        catalog = SettlingCatalog()
        services = dataclasses.replace(core, catalog=catalog)  # type: ignore[arg-type]
        trips = RoundTrips(services)
        rounds: list[float] = []
        per_batch_trips = 0
        for round_number in range(arguments.rounds + 1):  # the first warms caches up
            pairs = await waiting_orders(services, size * batches)
            work = [
                [
                    outcome(order_id, payment_id, declined=(n % 5 == 4))
                    for n, (order_id, payment_id) in enumerate(pairs[i : i + size])
                ]
                for i in range(0, len(pairs), size)
            ]
            trips.count = 0
            spent = 0.0
            for events in work:
                started = time.process_time()
                await apply_payment_outcomes(services, events)
                spent += time.process_time() - started
            per_batch_trips = trips.count // batches
            if round_number:
                rounds.append(1000 * spent / batches)
            # A redelivery of the last batch changes nothing (and is not timed).
            await apply_payment_outcomes(services, work[-1])
        assert catalog.settled == size * batches * (arguments.rounds + 1)
    return {
        "batch": size,
        "cpu_ms_per_batch": [round(value, 3) for value in rounds],
        "median_cpu_ms_per_batch": round(statistics.median(rounds), 3),
        "round_trips_per_batch": per_batch_trips,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    print(json.dumps(asyncio.run(measure(parser.parse_args()))))


if __name__ == "__main__":
    main()
