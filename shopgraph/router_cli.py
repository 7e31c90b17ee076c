"""`shopgraph router` (serve a supergraph, print plans) and `shopgraph schema` (compose)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

router_app = typer.Typer(
    help="Serve a supergraph with the shopgraph router, or show how it plans an operation.",
    invoke_without_command=True,
)
DEFAULT_SUPERGRAPH = Path("schema/supergraph.graphql")
schema_app = typer.Typer(help="Compose and inspect the supergraph schema.")
console = Console()
err_console = Console(stderr=True)

SupergraphFile = Annotated[
    Path,
    typer.Option(
        "--supergraph",
        help="Supergraph SDL, from `shopgraph schema compose` or another composition tool.",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]


@router_app.command("plan")
def plan(
    supergraph: SupergraphFile,
    query: Annotated[
        Path, typer.Option("--query", help="File with the operation.", exists=True, dir_okay=False)
    ],
    operation_name: Annotated[
        str | None, typer.Option("--operation-name", help="Which operation of the document.")
    ] = None,
) -> None:
    """Print the query plan of an operation."""
    from graphql import GraphQLError, parse, validate

    from router.planning.planner import PlanningError, plan_operation
    from router.planning.printer import print_plan
    from router.supergraph import SupergraphError, load_supergraph

    try:
        schema = load_supergraph(supergraph.read_text())
        document = parse(query.read_text())
    except (SupergraphError, GraphQLError) as error:
        err_console.print(f"[red]{error}[/]")
        raise typer.Exit(code=1) from error
    invalid = validate(schema.api_schema, document)
    if invalid:
        for problem in invalid:
            err_console.print(f"[red]{problem.message}[/]")
        raise typer.Exit(code=1)
    try:
        console.print(print_plan(plan_operation(schema, document, operation_name)), highlight=False)
    except PlanningError as error:
        err_console.print(f"[red]{error}[/]")
        raise typer.Exit(code=1) from error


@router_app.callback()
def serve_router(
    ctx: typer.Context,
    supergraph: Annotated[
        Path, typer.Option("--supergraph", help="Supergraph SDL to serve.", dir_okay=False)
    ] = DEFAULT_SUPERGRAPH,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 4000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format",
            envvar="SHOPGRAPH_LOG_FORMAT",
            help="`text` or `json` (one object a line).",
        ),
    ] = "text",
) -> None:
    """Serve the supergraph at /graphql (subgraph URLs: the supergraph's, or from config)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from router.config import RouterConfig
    from router.http import create_router_app
    from router.supergraph import SupergraphError

    if not supergraph.is_file():
        err_console.print(f"[red]no supergraph at {supergraph}[/]: run `shopgraph schema compose`")
        raise typer.Exit(code=1)
    try:
        app = create_router_app(supergraph.read_text(), RouterConfig(), supergraph_file=supergraph)
    except SupergraphError as error:
        err_console.print(f"[red]{error}[/]")
        raise typer.Exit(code=1) from error
    console.print(f"router at http://{host}:{port}/graphql serving {supergraph}")
    if log_format == "json":
        from shopgraph.logs import configure_json_logging

        configure_json_logging()
        uvicorn.run(app, host=host, port=port, log_config=None)
    else:
        uvicorn.run(app, host=host, port=port, log_level="info")


@schema_app.command("compose")
def compose_schema(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the supergraph SDL.", dir_okay=False)
    ] = DEFAULT_SUPERGRAPH,
    urls: Annotated[
        list[str] | None,
        typer.Option(
            "--url", help="NAME=URL of a subgraph (default: where `shopgraph serve NAME` listens)."
        ),
    ] = None,
) -> None:
    """Compose every subgraph of this installation into the supergraph SDL."""
    from shopgraph.registry import SUBGRAPHS
    from shopgraph.supergraph import CompositionFailed, compose_subgraphs, local_url

    overrides: dict[str, str] = {}
    for item in urls or []:
        name, separator, url = item.partition("=")
        if not separator or name not in SUBGRAPHS or not url:
            raise typer.BadParameter(
                f"{item!r}: expected NAME=URL with NAME one of {list(SUBGRAPHS)}"
            )
        overrides[name] = url
    try:
        sdl = compose_subgraphs(lambda entry: overrides.get(entry.name) or local_url(entry))
    except CompositionFailed as failure:
        for error in failure.errors:
            where = f" at {error.coordinate}" if error.coordinate else ""
            graphs = ", ".join(error.subgraphs)
            err_console.print(f"[red]{error.code}[/]{where} [{graphs}]: {error.message}")
        raise typer.Exit(code=1) from failure
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(sdl)
    console.print(f"[green]wrote[/] {out}")
