"""Every router setting is documented in the README's production section."""

from __future__ import annotations

from pathlib import Path

from router.config import RouterConfig

README = Path(__file__).parents[2] / "README.md"


def test_every_setting_has_a_row_with_its_key_and_variable() -> None:
    text = README.read_text()
    section = text[text.index("## Running the router in production") :]
    missing = [
        name
        for name in RouterConfig.model_fields
        if f"| `{name}` | `SHOPGRAPH_ROUTER_{name.upper()}` |" not in section
    ]
    assert missing == []
