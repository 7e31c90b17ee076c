"""Alembic environment of the insights subgraph."""

from alembic import context

from subgraphs.insights.models import metadata
from subgraphs.platform.migrations import run_migrations

run_migrations(context, metadata)  # type: ignore[arg-type]  # a module proxying EnvironmentContext
