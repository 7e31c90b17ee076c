"""`shopgraph router` (serve a supergraph, print plans) and `shopgraph schema` (compose)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from router.registry_poller import RegistryFollower

SUPERGRAPH_FILE_VARIABLE = "SHOPGRAPH_ROUTER_SUPERGRAPH_FILE"
# Not SHOPGRAPH_ROUTER_*: those are RouterConfig's.
REGISTRY_URL_VARIABLE = "SHOPGRAPH_FOLLOW_REGISTRY_URL"
REGISTRY_POLL_VARIABLE = "SHOPGRAPH_FOLLOW_REGISTRY_POLL_SECONDS"
LogFormat = Annotated[
    str,
    typer.Option(
        "--log-format",
        envvar="SHOPGRAPH_LOG_FORMAT",
        help="`text` or `json` (one object a line).",
    ),
]
AccessLog = Annotated[
    bool,
    typer.Option(
        "--access-log/--no-access-log",
        envvar="SHOPGRAPH_ACCESS_LOG",
        help="uvicorn's line per request, at INFO. Off by default: formatting and writing it "
        "costs CPU in every process on every request.",
    ),
]
router_app = typer.Typer(
    help="Serve a supergraph with the shopgraph router, or show how it plans an operation.",
    invoke_without_command=True,
)
config_app = typer.Typer(help="Check a router.yaml before deploying it.")
router_app.add_typer(config_app, name="config")
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


@config_app.command("validate")
def validate_config(
    file: Annotated[Path, typer.Argument(help="The router.yaml to check.", dir_okay=False)],
) -> None:
    """Report every mistake in FILE with its path and line; exit 1 if there is any."""
    from router.config_file import problems

    found = problems(file)
    for problem in found:
        err_console.print(f"[red]{file}[/] {problem}", highlight=False, soft_wrap=True)
    if found:
        raise typer.Exit(code=1)
    console.print(f"[green]{file} is a valid router configuration[/]", soft_wrap=True)


@router_app.callback()
def serve_router(
    ctx: typer.Context,
    supergraph: Annotated[
        Path, typer.Option("--supergraph", help="Supergraph SDL to serve.", dir_okay=False)
    ] = DEFAULT_SUPERGRAPH,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 4000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    registry: Annotated[
        str | None,
        typer.Option(help="Follow this `shopgraph registry serve` URL instead of --supergraph."),
    ] = None,
    poll_interval: Annotated[float, typer.Option(help="Seconds between registry polls.")] = 5.0,
    log_format: LogFormat = "text",
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="SHOPGRAPH_ROUTER_CONFIG",
            help="router.yaml; SHOPGRAPH_ROUTER_* variables override its values.",
            dir_okay=False,
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes serving the same port.")
    ] = 1,
    storefront: Annotated[
        Path | None,
        typer.Option(
            help="Serve this storefront directory at / (e.g. shopgraph/storefront).",
            file_okay=False,
        ),
    ] = None,
    access_log: AccessLog = False,
) -> None:
    """Serve the supergraph at /graphql (subgraph URLs: the supergraph's, or from config)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from router.config_file import ConfigFileError, load_router_config
    from router.http import create_router_app
    from router.operation.trusted import ManifestError
    from router.rest import RestConfigError
    from router.supergraph import SupergraphError

    if storefront is not None:
        # Through the environment, so that every worker process serves it too.
        os.environ["SHOPGRAPH_ROUTER_STOREFRONT_DIR"] = str(storefront.resolve())
    try:
        config = load_router_config(config_file)
    except ConfigFileError as error:
        for problem in error.problems:
            err_console.print(f"[red]{config_file}[/] {problem}", highlight=False)
        raise typer.Exit(code=1) from error
    if config_file is not None:
        os.environ["SHOPGRAPH_ROUTER_CONFIG"] = str(config_file.resolve())
    os.environ["SHOPGRAPH_LOG_FORMAT"] = log_format
    # On SIGTERM each worker first ends its subscriptions with 1001
    # (router.http.stopping); then uvicorn stops accepting, lets running
    # requests finish (at most drain_seconds) and runs the lifespan's shutdown.
    serving = serving_options(host, port, workers, config.drain_seconds, log_format, access_log)
    if registry is not None:
        # Each worker follows the registry itself and hot-reloads its one app.
        os.environ[REGISTRY_URL_VARIABLE] = registry
        os.environ[REGISTRY_POLL_VARIABLE] = str(poll_interval)
        console.print(
            f"router at http://{host}:{port}/graphql following {registry} ({workers} worker(s))"
        )
        uvicorn.run("shopgraph.router_cli:router_registry_app", **serving)
        return

    if not supergraph.is_file():
        err_console.print(f"[red]no supergraph at {supergraph}[/]: run `shopgraph schema compose`")
        raise typer.Exit(code=1)
    try:
        # Built once here so a bad supergraph, manifest or rest.yaml stops the
        # command with its reason instead of every worker with a traceback.
        create_router_app(supergraph.read_text(), config)
    except (SupergraphError, ManifestError, RestConfigError) as error:
        err_console.print(f"[red]{error}[/]")
        raise typer.Exit(code=1) from error
    # Each worker process builds its app from these (uvicorn starts them afresh).
    os.environ[SUPERGRAPH_FILE_VARIABLE] = str(supergraph.resolve())
    console.print(
        f"router at http://{host}:{port}/graphql serving {supergraph} ({workers} worker(s))"
    )
    uvicorn.run("shopgraph.router_cli:router_worker_app", **serving)


def serving_options(
    host: str,
    port: int,
    workers: int,
    drain_seconds: float,
    log_format: LogFormat,
    access_log: bool = False,
) -> dict[str, Any]:
    """How uvicorn serves the router's worker apps.

    uvloop and httptools by name, not "auto": a router missing them would run
    at a fraction of its throughput without saying so; this way it stops.
    """
    return {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "loop": "uvloop",
        "http": "httptools",
        "timeout_graceful_shutdown": max(1, round(drain_seconds)),
        # Whose X-Forwarded-For to believe is the router's `trusted_proxies`, not
        # uvicorn's (which would rewrite the client address before the router sees it).
        "proxy_headers": False,
        # uvicorn kills a worker that does not answer its supervisor's ping (or finish
        # starting) within this time; its 5 s default killed busy workers under load.
        "timeout_worker_healthcheck": 30,
        **uvicorn_logging(log_format, access_log),
    }


def router_worker_app() -> Starlette:
    """The app of one router worker process, from what `shopgraph router` checked."""
    from router.config_file import load_router_config
    from router.http import create_router_app

    uvicorn_logging(os.environ.get("SHOPGRAPH_LOG_FORMAT", "text"))
    supergraph = Path(os.environ[SUPERGRAPH_FILE_VARIABLE])
    configured = os.environ.get("SHOPGRAPH_ROUTER_CONFIG")
    config = load_router_config(Path(configured) if configured else None)
    return create_router_app(
        supergraph.read_text(), config, supergraph_file=supergraph, stop_signals=True
    )


def router_registry_app() -> RegistryFollower:
    """The app of one router worker process following the registry `shopgraph router` named."""
    from functools import partial

    from router.config_file import load_router_config
    from router.http import create_router_app
    from router.registry_poller import RegistryFollower

    uvicorn_logging(os.environ.get("SHOPGRAPH_LOG_FORMAT", "text"))
    configured = os.environ.get("SHOPGRAPH_ROUTER_CONFIG")
    config = load_router_config(Path(configured) if configured else None)
    interval = float(os.environ[REGISTRY_POLL_VARIABLE])
    build = partial(create_router_app, stop_signals=True)
    return RegistryFollower(os.environ[REGISTRY_URL_VARIABLE], config, interval, build)


def uvicorn_logging(log_format: str, access_log: bool = False) -> dict[str, Any]:
    """uvicorn's logging options; with `json`, JSON lines are set up for the whole process.

    Without `access_log` uvicorn writes no line per request (it does not even format
    one): at a few hundred requests a second in each of the router and the subgraphs
    that line was a measurable share of their CPU. Our own warnings and errors carry
    the request id, so a failed request is still found in the logs.
    """
    if log_format != "json":
        return {"log_level": "info", "access_log": access_log}
    from shopgraph.logs import configure_json_logging

    configure_json_logging()
    return {"log_config": None, "access_log": access_log}


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
