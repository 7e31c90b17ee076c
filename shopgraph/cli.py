"""The `shopgraph` command: run the platform, migrate it, administer it."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console

from shopgraph.heap import frozen_after_startup
from shopgraph.loading import load_settings, settings_refused
from shopgraph.registry import SUBGRAPHS
from shopgraph.registry_cli import registry_app
from shopgraph.router_cli import AccessLog, LogFormat, router_app, schema_app, uvicorn_logging
from shopgraph.schema_cli import add_schema_commands
from shopgraph.worker_cli import worker_app
from subgraphs.platform.auth.keys import KeyConfigurationError

app = typer.Typer(help="shopgraph: an e-commerce platform served as one federated GraphQL API.")
users_app = typer.Typer(help="Administer user accounts.")
app.add_typer(users_app, name="users")
keys_app = typer.Typer(help="Manage the key that signs access tokens.")
app.add_typer(keys_app, name="keys")
app.add_typer(router_app, name="router")
search_app = typer.Typer(help="Look after the product search index.")
app.add_typer(search_app, name="search")
app.add_typer(schema_app, name="schema")
add_schema_commands(schema_app)
app.add_typer(registry_app, name="registry")
app.add_typer(worker_app, name="worker")
insights_app = typer.Typer(help="Look after the recommendation tables.")
app.add_typer(insights_app, name="insights")
console = Console()
err_console = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Where embedded backends keep files [env: SHOPGRAPH_DATA_DIR]."
    ),
]


@app.command()
def dev(
    port: Annotated[int, typer.Option(help="Port of the whole platform.")] = 4000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    data_dir: DataDir = None,
) -> None:
    """Run every subgraph in one process on embedded backends."""
    from shopgraph.dev import create_dev_app

    settings = load_settings(data_dir)
    app = create_dev_app(settings, port)
    console.print(f"[bold]shopgraph dev[/] - data in [cyan]{settings.data_dir.resolve()}[/]")
    console.print(f"  GraphiQL (supergraph): [bold]http://localhost:{port}/graphql[/]")
    for name in SUBGRAPHS:
        console.print(f"  {name} subgraph: http://localhost:{port}/subgraphs/{name}/graphql")
    uvicorn.run(app, host=host, port=port, log_level="info")


@app.command()
def serve(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(SUBGRAPHS)}.")],
    port: Annotated[int | None, typer.Option(help="Defaults to the subgraph's own port.")] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    data_dir: DataDir = None,
    log_format: LogFormat = "text",
    access_log: AccessLog = False,
) -> None:
    """Serve one subgraph (migrating its database first)."""
    entry = SUBGRAPHS.get(name)
    if entry is None:
        raise typer.BadParameter(f"unknown subgraph {name!r}; choose from {', '.join(SUBGRAPHS)}")
    settings = load_settings(data_dir)
    endpoint = os.environ.get("SHOPGRAPH_OTLP_ENDPOINT")
    if endpoint:
        # The subgraph's spans (children of the router's fetch spans) go to the collector.
        from opentelemetry import trace

        from router.telemetry import otlp_provider

        trace.set_tracer_provider(otlp_provider(endpoint, f"shopgraph-{name}"))
    try:
        entry.check_own_settings()
    except (ValidationError, SettingsError) as error:
        raise settings_refused(error) from None
    try:
        subgraph_app = entry.create_app(settings)
    except KeyConfigurationError as error:
        err_console.print(f"[red]{name} cannot start:[/] {error}")
        raise typer.Exit(2) from error
    console.print(f"serving [bold]{name}[/] at http://{host}:{port or entry.port}/graphql")
    uvicorn.run(
        frozen_after_startup(subgraph_app),
        host=host,
        port=port or entry.port,
        **uvicorn_logging(log_format, access_log),
    )


@app.command()
def migrate(
    names: Annotated[
        list[str] | None, typer.Argument(help="Subgraphs to migrate (default: all).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Apply every subgraph's database migrations."""
    settings = load_settings(data_dir)
    for name in names or list(SUBGRAPHS):
        entry = SUBGRAPHS.get(name)
        if entry is None:
            raise typer.BadParameter(f"unknown subgraph {name!r}")
        asyncio.run(entry.migrate(settings))
        console.print(f"[green]migrated[/] {name}")


@users_app.command("create-staff")
def create_staff(
    username: Annotated[str, typer.Option(help="3-32 of letters, digits, _ . -")],
    email: Annotated[str, typer.Option()],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, envvar="SHOPGRAPH_STAFF_PASSWORD")
    ],
    data_dir: DataDir = None,
) -> None:
    """Create a staff account."""
    from shopgraph.admin import create_staff_account

    settings = load_settings(data_dir)
    problems = asyncio.run(create_staff_account(settings, username, email, password))
    if problems:
        for problem in problems:
            console.print(f"[red]{problem}[/]")
        raise typer.Exit(code=1)
    console.print(f"[green]created staff account[/] {username}")


@keys_app.command("generate")
def generate_key(
    path: Annotated[Path, typer.Argument(help="PEM file to create; an existing key is kept.")],
) -> None:
    """Create the signing key (SHOPGRAPH_JWT_PRIVATE_KEY_FILE); print its public half."""
    from cryptography.hazmat.primitives import serialization

    from subgraphs.platform.auth.keys import ensure_private_key_file

    public = ensure_private_key_file(path).public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    console.print(f"signing key in {path}; public key (for SHOPGRAPH_JWT_PUBLIC_KEY):")
    console.print(pem.decode(), end="", highlight=False)


@keys_app.command("rotate")
def rotate_key(
    path: Annotated[Path, typer.Argument(help="PEM file of the signing key to replace.")],
) -> None:
    """Replace the signing key; the old one keeps verifying until its tokens expire.

    Running processes pick the new key up on their next token, and the router
    on its next JWKS fetch: nothing restarts.
    """
    from subgraphs.platform.auth.keyring import rotate_key_file

    old, new = rotate_key_file(path)
    console.print(f"signing key in {path} is now kid {new.kid} (retired: {old.kid})")


@app.command("seed")
def seed(data_dir: DataDir = None) -> None:
    """Add the demo shop where it is missing: products, demo customers, their reviews."""
    from shopgraph.demo import run_seed

    run_seed(load_settings(data_dir))


@search_app.command("reindex")
def reindex(data_dir: DataDir = None) -> None:
    """Rebuild the product search index from the catalog."""
    from shopgraph.catalog_cli import run_reindex

    run_reindex(load_settings(data_dir))


@insights_app.command("rebuild")
def rebuild_recommendations(data_dir: DataDir = None) -> None:
    """Rebuild the recommendation tables by replaying the Kafka log."""
    from shopgraph.insights_cli import rebuild_recommendations

    applied = asyncio.run(rebuild_recommendations(load_settings(data_dir)))
    console.print(f"[green]rebuilt[/] the recommendations from {applied} events")
