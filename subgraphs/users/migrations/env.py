"""Alembic environment of the users subgraph."""

from alembic import context

from subgraphs.platform.migrations import run_migrations
from subgraphs.users.models import metadata

run_migrations(context, metadata)  # type: ignore[arg-type]  # a module proxying EnvironmentContext
