"""`python -m shopgraph` runs the CLI."""

from shopgraph.cli import app

app()
