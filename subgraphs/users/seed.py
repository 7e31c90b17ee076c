"""Demo customers for the demo shop (`shopgraph seed`, first `dev` start): the same every run.

They sign in with their email and `DEMO_PASSWORD`; the demo reviews are theirs.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from subgraphs.platform.auth.principal import Role
from subgraphs.platform.events import Event, add_to_outbox
from subgraphs.users.accounts import Account
from subgraphs.users.models import UserRow, outbox
from subgraphs.users.rules import account_key
from subgraphs.users.services import UserServices

NAMESPACE = uuid.UUID("0b7f5a52-3f0e-4d8e-9b61-5f3c1a9e2d47")
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
DEMO_PASSWORD = "demo password"  # noqa: S105 - published on purpose: demo accounts only
DEMO_NAMES = ("ada", "grace", "alan", "edsger", "barbara", "ken", "margaret", "linus")


def demo_username(name: str) -> str:
    return f"demo.{name}"


async def seed_customers(services: UserServices) -> list[Account]:
    """The demo customers, added if missing; all of them, in `DEMO_NAMES` order."""
    ids = {name: str(uuid.uuid5(NAMESPACE, f"customer/{name}")) for name in DEMO_NAMES}
    async with services.database.session() as session:
        present = set(await session.scalars(select(UserRow.id).where(UserRow.id.in_(ids.values()))))
    missing = [name for name in DEMO_NAMES if ids[name] not in present]
    if missing:
        # One hash for all: hashing is slow on purpose, and the password is public anyway.
        password_hash = await services.hasher.hash(DEMO_PASSWORD)
        rows = [
            UserRow(
                id=ids[name],
                username=demo_username(name),
                username_key=account_key(demo_username(name)),
                email=f"{name}@demo.shopgraph.dev",
                email_key=account_key(f"{name}@demo.shopgraph.dev"),
                password_hash=password_hash,
                role=Role.CUSTOMER.value,
                created_at=EPOCH + timedelta(minutes=DEMO_NAMES.index(name)),
            )
            for name in missing
        ]
        async with services.database.session() as session:
            session.add_all(rows)
            events = [
                Event.new("user.registered", row.id, {"username": row.username, "role": row.role})
                for row in rows
            ]
            await add_to_outbox(session, outbox, events)
        services.relay.notify()
    async with services.database.session() as session:
        rows = list(await session.scalars(select(UserRow).where(UserRow.id.in_(ids.values()))))
    by_id = {row.id: Account.of(row) for row in rows}
    return [by_id[ids[name]] for name in DEMO_NAMES]
