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
