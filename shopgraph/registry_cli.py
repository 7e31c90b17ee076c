"""`shopgraph registry serve`: the schema registry service (see schema_registry/server.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

registry_app = typer.Typer(help="The schema registry service for teams.")
console = Console()


@registry_app.command("serve")
def serve_registry(
    token: Annotated[
        str,
        typer.Option(envvar="SHOPGRAPH_REGISTRY_TOKEN", help="Bearer token publishing needs."),
    ],
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 4100,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    operations: Annotated[
        Path | None,
        typer.Option(help="Trusted documents (CLIENT/*.graphql) to import at start."),
    ] = None,
    approvals: Annotated[
        Path | None, typer.Option(help="approvals.yaml to import at start.")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where the embedded SQLite database lives.")
    ] = None,
) -> None:
    """Serve the registry on PostgreSQL (SHOPGRAPH_DATABASE_URL) or SQLite in the data dir."""
    import uvicorn

    from shopgraph.loading import load_settings
    from shopgraph.schema_registry.approvals import ApprovalsInvalid, load_approvals
    from shopgraph.schema_registry.server import RegistryConfig, create_registry_app

    if len(token) < 16:
        raise typer.BadParameter("the registry token needs at least 16 characters")
    # Read here so a bad file stops the command with its reason, not the app's start-up.
    if operations is not None and not operations.is_dir():
        raise typer.BadParameter(f"no trusted documents folder at {operations}")
    if approvals is not None:
        if not approvals.is_file():
            raise typer.BadParameter(f"no approvals file at {approvals}")
        try:
            load_approvals(approvals)
        except ApprovalsInvalid as error:
            raise typer.BadParameter(str(error)) from error
    settings = load_settings(data_dir)
    app = create_registry_app(settings, RegistryConfig(token, operations, approvals))
    console.print(f"schema registry at http://{host}:{port}/v1/supergraph")
    uvicorn.run(app, host=host, port=port, log_level="info")
