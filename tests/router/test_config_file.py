"""router.yaml: read beside the environment, and checked with paths and lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from router.config_file import ConfigFileError, ConfigProblem, load_router_config, problems
from shopgraph.cli import app

GOOD = """\
subgraph_urls:
  users: http://users:4001/graphql
subgraph_timeouts:
  users: 2.5
cors_origins:
  - https://shop.example.com
apq_redis_url: redis://redis:6379/3
"""
BAD = """\
subgraph_timeouts:
  users: -1
cors_origins:
  - https://shop.example.com
  - 42
max_depht: 10
"""


def test_the_file_sets_values_and_the_environment_overrides_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "router.yaml"
    path.write_text(GOOD)
    monkeypatch.setenv("SHOPGRAPH_ROUTER_APQ_REDIS_URL", "redis://elsewhere:6379/0")

    config = load_router_config(path)

    assert config.subgraph_urls == {"users": "http://users:4001/graphql"}
    assert config.subgraph_timeout("users") == 2.5
    assert config.cors_origins == ("https://shop.example.com",)
    assert config.apq_redis_url == "redis://elsewhere:6379/0"
    assert problems(path) == []


def test_every_mistake_is_named_by_its_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "router.yaml"
    path.write_text(BAD)

    assert problems(path) == [
        ConfigProblem("subgraph_timeouts.users", 2, "Input should be greater than 0"),
        ConfigProblem("cors_origins.1", 5, "Input should be a valid string"),
        ConfigProblem("max_depht", 6, "unknown setting"),
    ]
    with pytest.raises(ConfigFileError):
        load_router_config(path)


def test_a_file_that_is_not_yaml_or_not_a_mapping_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("cors_origins: [a,\n")
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n")

    [syntax] = problems(broken)
    assert (syntax.path, syntax.line) == ("", 2)
    assert syntax.message.startswith("not valid YAML")
    assert problems(listed) == [
        ConfigProblem("", 1, "must be a mapping of setting names to values")
    ]


def test_the_cli_validates_a_file(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD)
    bad.write_text(BAD)
    runner = CliRunner()

    passed = runner.invoke(app, ["router", "config", "validate", str(good)])
    failed = runner.invoke(app, ["router", "config", "validate", str(bad)])

    assert passed.exit_code == 0
    assert "is a valid router configuration" in passed.output
    assert failed.exit_code == 1
    assert "max_depht (line 6): unknown setting" in failed.output
    assert "cors_origins.1 (line 5): Input should be a valid string" in failed.output
