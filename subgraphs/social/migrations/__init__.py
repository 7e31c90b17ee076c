"""Alembic migrations of the social subgraph."""
