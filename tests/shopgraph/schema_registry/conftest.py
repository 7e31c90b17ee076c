"""A copy of the project's schema registry in a temporary git repository, per test."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def git(repo: Path, *args: str) -> str:
    # The test's own fixed git commands, on git from PATH like a developer's shell.
    done = subprocess.run(  # noqa: S603
        ["git", "-C", str(repo), *args],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose `schema/` is this project's registry, committed."""
    shutil.copytree(ROOT / "schema", tmp_path / "schema")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(
        tmp_path,
        "-c",
        "user.name=ci",
        "-c",
        "user.email=ci@example.com",
        "commit",
        "-qm",
        "registry",
    )
    return tmp_path


def edited(repo: Path, subgraph: str, old: str, new: str) -> Path:
    """A proposed SDL: the published one of `subgraph` with `old` replaced by `new`."""
    text = (repo / "schema" / "subgraphs" / f"{subgraph}.graphql").read_text()
    assert old in text, f"{old!r} is not in {subgraph}'s SDL"
    path = repo / f"{subgraph}.proposed.graphql"
    path.write_text(text.replace(old, new, 1))
    return path
