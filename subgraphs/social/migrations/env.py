"""Alembic environment of the social subgraph."""

from alembic import context

from subgraphs.platform.migrations import run_migrations
from subgraphs.social.models import metadata

run_migrations(context, metadata)  # type: ignore[arg-type]  # a module proxying EnvironmentContext
