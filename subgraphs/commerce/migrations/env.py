"""Alembic environment of the commerce subgraph."""

from alembic import context

from subgraphs.commerce.models import metadata
from subgraphs.platform.migrations import run_migrations

run_migrations(context, metadata)  # type: ignore[arg-type]  # a module proxying EnvironmentContext
