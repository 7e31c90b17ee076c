"""Settings as every `shopgraph` command loads them: a bad value stops the command
with one line per problem, naming the variable, and exit code 2; no traceback.

The value itself is not repeated: it may be a secret (`SHOPGRAPH_SERVICE_TOKEN`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console

from shopgraph.subscriptions import UnknownGroupsError, deployed
from subgraphs.platform.settings import Settings

# No wrapping: each problem stays one line in a log.
err_console = Console(stderr=True, soft_wrap=True)


def load_settings(data_dir: Path | None = None) -> Settings:
    """The process's settings from `SHOPGRAPH_*` (and `--data-dir`), checked."""
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    try:
        settings = Settings(**overrides)
        deployed(settings)
    except (ValidationError, SettingsError) as error:
        raise settings_refused(error) from None
    except UnknownGroupsError as error:
        err_console.print(f"[red]invalid setting[/] {error}")
        raise typer.Exit(2) from None
    return settings


def settings_refused(
    error: ValidationError | SettingsError, prefix: str = "SHOPGRAPH_"
) -> typer.Exit:
    """Prints what `error` (from a settings class read from `prefix`* variables) found
    wrong, one line a variable; raise what it returns."""
    if isinstance(error, SettingsError):
        # A list or mapping setting that is not JSON: pydantic-settings names the field.
        field = re.search(r'field "(\w+)"', str(error))
        name = prefix + field.group(1).upper() if field else "a setting"
        err_console.print(f"[red]invalid setting[/] {name}: not JSON ({error.__cause__})")
        return typer.Exit(2)
    for problem in error.errors():
        name = prefix + "_".join(str(part) for part in problem["loc"]).upper()
        reason = problem["msg"].removeprefix("Value error, ")  # a validator's own words
        err_console.print(f"[red]invalid setting[/] {name}: {reason}")
    return typer.Exit(2)
