"""Alembic migrations of the catalog subgraph."""
