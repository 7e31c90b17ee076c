"""`shopgraph schema check | publish | operations build`: the schema registry from the shell.

Exit codes: 0 the check passed (or publish succeeded or had nothing to do),
1 the check failed (breaking change in use, composition or document errors;
publish refused), 2 a usage error or a registry that cannot be reached.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from shopgraph.schema_registry.report import ReportFormat
from shopgraph.schema_registry.source import (
    CheckSetup,
    SetupError,
    prepare_check,
)

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
operations_app = typer.Typer(help="Trusted documents: the operations clients may send.")

Registry = Annotated[
    str,
    typer.Option("--registry", help="Registry directory, or URL of `shopgraph registry serve`."),
]
Subgraph = Annotated[str | None, typer.Option("--subgraph", help="Subgraph whose SDL is proposed.")]
SdlFile = Annotated[Path | None, typer.Option("--sdl", help="The proposed SDL of --subgraph.")]
Operations = Annotated[
    Path | None,
    typer.Option("--operations", help="Trusted documents (default: REGISTRY/operations)."),
]
Approvals = Annotated[
    Path | None,
    typer.Option(
        "--approvals", help="Approved breaking changes (default: REGISTRY/approvals.yaml)."
    ),
]


def _setup(
    registry: str,
    subgraph: str | None,
    sdl: Path | None,
    operations: Path | None,
    approvals: Path | None,
    usage_days: int = 30,
    usage: str | None = None,
) -> CheckSetup:
    try:
        return prepare_check(registry, subgraph, sdl, operations, approvals, usage_days, usage)
    except SetupError as error:
        err_console.print(f"error: {error}")
        raise typer.Exit(code=2) from error


def check(
    registry: Registry = "schema",
    subgraph: Subgraph = None,
    sdl: SdlFile = None,
    operations: Operations = None,
    approvals: Approvals = None,
    usage_days: Annotated[
        int, typer.Option("--usage-days", min=1, help="Days of the router's usage log to read.")
    ] = 30,
    usage: Annotated[
        str | None,
        typer.Option(
            "--usage",
            envvar="SHOPGRAPH_SCHEMA_USAGE_URL",
            help="The router's usage log: insights' ClickHouse, clickhouse://host:9000/db.",
        ),
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="Report format.")] = (
        ReportFormat.TEXT
    ),
    fail_on_unpublished: Annotated[
        bool,
        typer.Option(
            "--fail-on-unpublished", help="Fail when a subgraph differs from the registry (CI)."
        ),
    ] = False,
) -> None:
    """Check subgraph schemas (the code's, or --subgraph/--sdl) against the registry.

    Exit status: 0 the check passed; 1 it failed (a breaking change an operation
    uses, a composition error, an SDL or trusted document that does not validate);
    2 a usage error or a registry (or usage log) that cannot be reached.
    """
    from shopgraph.schema_registry.check import run_check
    from shopgraph.schema_registry.report import render
    from shopgraph.schema_registry.usage import UsageLogUnreachable

    setup = _setup(registry, subgraph, sdl, operations, approvals, usage_days, usage)
    try:
        report = run_check(setup.request)
    except UsageLogUnreachable as error:
        err_console.print(f"error: {error}")
        raise typer.Exit(code=2) from error
    console.print(render(report, fmt, setup.files), markup=False)
    if not report.passed:
        raise typer.Exit(code=1)
    if fail_on_unpublished and report.changed:
        err_console.print(
            f"subgraphs not published to {registry}: {', '.join(report.changed)}; "
            "run `shopgraph schema publish`"
        )
        raise typer.Exit(code=1)


def publish(
    registry: Registry = "schema",
    subgraph: Subgraph = None,
    sdl: SdlFile = None,
    operations: Operations = None,
    approvals: Approvals = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Publish even when the check fails (never broken composition)."
        ),
    ] = False,
) -> None:
    """Publish subgraph schemas (the code's, or --subgraph/--sdl) to the registry.

    Exit status: 0 published (or nothing to publish); 1 refused, the registry
    unchanged; 2 a usage error or a registry that cannot be reached.
    """
    from shopgraph.schema_registry.publish import PublishOutcome
    from shopgraph.schema_registry.publish import publish as publish_schemas
    from shopgraph.schema_registry.report import render
    from shopgraph.schema_registry.store import RegistryUnreachable

    setup = _setup(registry, subgraph, sdl, operations, approvals)
    try:
        result = publish_schemas(setup.registry, setup.request, force=force)
    except RegistryUnreachable as error:
        err_console.print(f"error: registry unreachable: {error}")
        raise typer.Exit(code=2) from error
    if result.report is not None:
        console.print(render(result.report, ReportFormat.TEXT, setup.files), markup=False)
    if result.outcome is PublishOutcome.REFUSED:
        err_console.print("publish refused: the registry is unchanged")
        raise typer.Exit(code=1)
    console.print(f"{result.outcome}: {setup.registry.location}")


def build_operations(
    folder: Annotated[Path, typer.Option("--operations", help="Trusted documents folder.")] = Path(
        "schema/operations"
    ),
    verify: Annotated[
        bool,
        typer.Option("--check", help="Only verify the manifest is up to date (exit 1 if not)."),
    ] = False,
) -> None:
    """Write the trusted documents manifest (manifest.json) of the operations folder."""
    import orjson

    from shopgraph.schema_registry.operations import (
        MANIFEST_NAME,
        build_manifest,
        load_documents,
        write_manifest,
    )

    if not folder.is_dir():
        err_console.print(f"error: no operations folder at {folder}")
        raise typer.Exit(code=2)
    documents = load_documents(folder)
    if verify:
        path = folder / MANIFEST_NAME
        current = orjson.loads(path.read_bytes()) if path.is_file() else None
        if current != build_manifest(documents):
            err_console.print(f"{path} is out of date: run `shopgraph schema operations build`")
            raise typer.Exit(code=1)
        console.print(f"{path} is up to date ({len(documents)} documents)")
        return
    path = write_manifest(folder, documents)
    console.print(f"wrote {path} ({len(documents)} documents)")


def add_schema_commands(schema_app: typer.Typer) -> None:
    schema_app.command("check")(check)
    schema_app.command("publish")(publish)
    operations_app.command("build")(build_operations)
    schema_app.add_typer(operations_app, name="operations")
