"""Alembic environment of the registry service's database."""

from alembic import context

from shopgraph.schema_registry.versions import metadata
from subgraphs.platform.migrations import run_migrations

run_migrations(context, metadata)  # type: ignore[arg-type]  # a module proxying EnvironmentContext
