"""The example GitHub workflow (`.github/workflows/schema.yml`): check on pull requests,
publish on main, and only options the CLI has (so the example does not rot)."""

from __future__ import annotations

import shlex
from typing import Any

import typer
import yaml

from shopgraph.cli import app
from tests.shopgraph.schema_registry.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "schema.yml"


def shopgraph_runs(job: dict[str, Any]) -> list[list[str]]:
    """The `shopgraph` command lines of a job's `run` steps, as argument lists."""
    return [
        shlex.split(step["run"])[1:]
        for step in job["steps"]
        if "run" in step and step["run"].startswith(".venv/bin/shopgraph ")
    ]


def command_of(args: list[str]) -> tuple[Any, list[str]]:
    """The CLI command the arguments name (typer's own click), and the arguments left."""
    command: Any = typer.main.get_command(app)
    while args and args[0] in getattr(command, "commands", {}):
        command, args = command.commands[args[0]], args[1:]
    return command, args


def test_pull_requests_are_checked_and_main_publishes() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    # YAML 1.1 reads the key `on` as True.
    assert set(workflow[True]) == {"pull_request", "push"}
    assert workflow[True]["push"] == {"branches": ["main"]}
    check, publish = workflow["jobs"]["check"], workflow["jobs"]["publish"]
    assert check["if"] == "github.event_name == 'pull_request'"
    assert publish["if"] == "github.event_name == 'push'"
    assert [args[:2] for args in shopgraph_runs(check)] == [
        ["schema", "operations"],
        ["schema", "check"],
    ]
    assert "--format github" in " ".join(shopgraph_runs(check)[1])
    assert [args[:2] for args in shopgraph_runs(publish)] == [
        ["schema", "operations"],
        ["schema", "publish"],
    ]


def test_every_option_the_workflow_passes_exists() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    for job in workflow["jobs"].values():
        for args in shopgraph_runs(job):
            command, rest = command_of(args)
            assert not hasattr(command, "commands"), args  # a command, not a group
            known = {name for param in command.params for name in param.opts}
            passed = {arg for arg in rest if arg.startswith("--")}
            assert passed <= known, (args, passed - known)
