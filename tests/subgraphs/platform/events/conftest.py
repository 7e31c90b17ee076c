"""Fixtures for the event machinery: the outbox and inbox tables on a test database."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import MetaData, Table

from subgraphs.platform.database import Database
from subgraphs.platform.events import inbox_table, outbox_table


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
