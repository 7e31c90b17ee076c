"""Every router setting is documented in the README's production section."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices
from pydantic.fields import FieldInfo

from router.config import RouterConfig

README = Path(__file__).parents[2] / "README.md"


def test_every_setting_has_a_row_with_its_key_and_variable() -> None:
    text = README.read_text()
    section = text[text.index("## Running the router in production") :]
    missing = [
        name
        for name, field in RouterConfig.model_fields.items()
        if f"| `{name}` | `{_variable(name, field)}` |" not in section
    ]
    assert missing == []


def _variable(name: str, field: FieldInfo) -> str:
    """The environment variable of a setting: its alias (SHOPGRAPH_ENV), else the prefixed name."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[-1])
    return f"SHOPGRAPH_ROUTER_{name.upper()}"
