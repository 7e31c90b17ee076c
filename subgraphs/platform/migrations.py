"""Alembic migrations, one history per subgraph, applied to that subgraph's database.

Each subgraph keeps `migrations/` (an Alembic script directory) beside its
models; its env.py hands over to `run_migrations`. `upgrade` is what
`shopgraph migrate` and the start-up of `serve` call. On PostgreSQL it creates
the subgraph's schema and holds an advisory lock, so replicas starting together
migrate once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from subgraphs.platform.database import Database
from subgraphs.platform.settings import Settings

VERSION_TABLE = "alembic_version"


def alembic_config(migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    return config


async def upgrade(database: Database, migrations_dir: Path, revision: str = "head") -> None:
    async with database.engine.begin() as connection:
        if not database.is_sqlite:
            schema = database.subgraph
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"shopgraph.migrate.{schema}"},
            )
            await connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await connection.run_sync(_upgrade, migrations_dir, revision)


async def migrate(settings: Settings, subgraph: str, migrations_dir: Path) -> None:
    """`shopgraph migrate` for one subgraph: open its database, upgrade, close."""
    database = Database(settings, subgraph)
    try:
        await upgrade(database, migrations_dir)
    finally:
        await database.close()


def _upgrade(connection: Connection, migrations_dir: Path, revision: str) -> None:
    config = alembic_config(migrations_dir)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def run_migrations(context: EnvironmentContext, metadata: MetaData) -> None:
    """The body of every subgraph's env.py: migrate over the connection `upgrade` opened."""
    connection: Any = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `shopgraph migrate`, not the alembic CLI")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
