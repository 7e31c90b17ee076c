"""Fixtures for the event machinery: the outbox and inbox tables on a test database, and a
test's own exchange and groups on the real RabbitMQ broker."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import MetaData, Table

from subgraphs.platform.database import Database
from subgraphs.platform.events import inbox_table, outbox_table
from tests.subgraphs.platform.events.rabbitmq_broker import Broker


@dataclass(frozen=True)
class EventTables:
    outbox: Table
    inbox: Table


@pytest.fixture
async def tables(database: Database) -> EventTables:
    """`outbox` and `inbox` created in `database`, as a subgraph's metadata would hold them."""
    metadata = MetaData()
    created = EventTables(outbox=outbox_table(metadata), inbox=inbox_table(metadata))
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return created


@pytest.fixture
async def broker(rabbitmq_url: str) -> AsyncIterator[Broker]:
    suffix = secrets.token_hex(4)
    broker = Broker(rabbitmq_url, f"test.events.{suffix}", suffix)
    yield broker
    for consumer in broker.consumers:
        await consumer.stop()
    for bus in broker.buses:
        await bus.close()
    await broker.delete_everything()
