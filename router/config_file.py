"""`router.yaml`: the router's configuration in a file, beside `SHOPGRAPH_ROUTER_*` variables.

Every `RouterConfig` field may be written in the file under its own name
(the same names as the variables, without the prefix, in lower case).
Environment variables win over the file, so one file can serve every
environment and a deployment overrides single values. `problems` checks a
file without starting anything and names each mistake by its path in the
file (`cors_origins.1`, `subgraph_timeouts.users`) and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, YamlConfigSettingsSource

from router.config import RouterConfig


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    path: str  # dotted, as written in the file; "" for the whole file
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path or '(file)'}" + (f" (line {self.line})" if self.line else "")
        return f"{where}: {self.message}"


class ConfigFileError(ValueError):
    def __init__(self, path: Path, problems: list[ConfigProblem]) -> None:
        super().__init__(f"{path}: " + "; ".join(map(str, problems)))
        self.problems = problems


def load_router_config(path: Path | None = None, *, environment: bool = True) -> RouterConfig:
    """The configuration from `path` (if any) under the environment's variables."""
    if path is None:
        return RouterConfig()

    class FileConfig(RouterConfig):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            from_file = YamlConfigSettingsSource(settings_cls, yaml_file=path)
            if not environment:
                return (init_settings, from_file)
            return (init_settings, env_settings, from_file)

    problems = _shape_problems(path)
    if problems:
        raise ConfigFileError(path, problems)
    try:
        return FileConfig()
    except ValidationError as error:
        raise ConfigFileError(path, _validation_problems(path, error)) from error


def problems(path: Path) -> list[ConfigProblem]:
    """Every mistake in the file alone (the environment is not consulted); [] when none."""
    try:
        load_router_config(path, environment=False)
    except ConfigFileError as error:
        return error.problems
    return []


def _shape_problems(path: Path) -> list[ConfigProblem]:
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return [ConfigProblem("", line, f"not valid YAML: {error}")]
    except OSError as error:
        return [ConfigProblem("", None, f"cannot be read: {error.strerror}")]
    if data is not None and not isinstance(data, dict):
        return [ConfigProblem("", 1, "must be a mapping of setting names to values")]
    return []


def _validation_problems(path: Path, error: ValidationError) -> list[ConfigProblem]:
    root = yaml.compose(path.read_text())
    found = []
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        message = "unknown setting" if item["type"] == "extra_forbidden" else item["msg"]
        found.append(ConfigProblem(".".join(location), _line(root, location), message))
    return found


def _line(node: Any, location: list[str]) -> int | None:
    """The line (1-based) of the value at `location` in the composed YAML, if it is there."""
    for part in location:
        if isinstance(node, yaml.MappingNode):
            matches = [value for key, value in node.value if key.value == part]
            if not matches:
                return int(node.start_mark.line) + 1
            node = matches[0]
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
        else:
            break
    return int(node.start_mark.line) + 1 if node is not None else None
