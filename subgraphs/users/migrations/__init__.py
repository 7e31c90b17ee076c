"""Alembic migrations of the users subgraph."""
