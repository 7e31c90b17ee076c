"""Commerce will not start on real services without the service token catalog requires."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopgraph.cli import app
from subgraphs.commerce.app import create_app
from subgraphs.platform.auth.keys import KeyConfigurationError
from subgraphs.platform.settings import Settings

# Never connected to: the check runs before anything opens.
DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:9/unused"


def test_serve_commerce_without_the_service_token_says_why_and_exits(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["serve", "commerce", "--port", "21001"],
        env={
            "SHOPGRAPH_DATABASE_URL": DATABASE,
            "SHOPGRAPH_DATA_DIR": str(tmp_path),
            "SHOPGRAPH_SERVICE_TOKEN": None,
            "COLUMNS": "400",
        },
    )

    assert result.exit_code == 2, result.output
    assert " ".join(result.output.split()) == (
        "commerce cannot start: commerce needs SHOPGRAPH_SERVICE_TOKEN outside embedded dev: "
        "catalog refuses stock reservations without it, so no checkout could succeed. Set it "
        "to the same secret (32 characters or more) in catalog and commerce."
    )


def test_commerce_starts_with_the_token_or_in_embedded_dev(tmp_path: Path) -> None:
    token = "a-service-token-of-at-least-thirty-two-characters"
    assert create_app(Settings(database_url=DATABASE, service_token=token)) is not None
    assert create_app(Settings(data_dir=tmp_path)) is not None  # dev generates its token
    with pytest.raises(KeyConfigurationError, match="SHOPGRAPH_SERVICE_TOKEN"):
        create_app(Settings(database_url=DATABASE, service_token=None))
