"""The `shopgraph` command line, run in-process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from shopgraph.cli import app
from subgraphs.platform.settings import Settings
from subgraphs.users.app import create_app
from tests.graphql import serve
from tests.subgraphs.users.conftest import UsersSubgraph

runner = CliRunner()


def _env(settings: Settings) -> dict[str, str]:
    env = {
        "SHOPGRAPH_DATA_DIR": str(settings.data_dir),
        "SHOPGRAPH_JWT_PRIVATE_KEY": settings.jwt_private_key.get_secret_value()
        if settings.jwt_private_key
        else "",
        "SHOPGRAPH_ARGON2_TIME_COST": "1",
        "SHOPGRAPH_ARGON2_MEMORY_KIB": "1024",
    }
    if settings.database_url:
        env["SHOPGRAPH_DATABASE_URL"] = settings.database_url
    return env


async def _login_role(settings: Settings, email: str, password: str) -> str | None:
    app_ = create_app(settings)
    async with serve(app_) as client:
        payload = await UsersSubgraph(client, app_.state.services).login(email, password)
    return payload["user"]["role"] if payload["user"] else None


def test_create_staff_then_sign_in_as_staff(settings: Settings) -> None:
    result = runner.invoke(
        app,
        [
            "users",
            "create-staff",
            "--username",
            "root_admin",
            "--email",
            "admin@example.com",
            "--password",
            "staff password",
        ],
        env=_env(settings),
    )
    assert result.exit_code == 0, result.output
    assert "created staff account root_admin" in result.output
    assert asyncio.run(_login_role(settings, "admin@example.com", "staff password")) == "STAFF"


def test_create_staff_refuses_bad_input_and_duplicates(settings: Settings) -> None:
    env = _env(settings)
    bad = runner.invoke(
        app,
        ["users", "create-staff", "--username", "x", "--email", "nope", "--password", "short"],
        env=env,
    )
    assert bad.exit_code == 1
    assert "USERNAME_INVALID" in bad.output
    assert "EMAIL_INVALID" in bad.output
    assert "PASSWORD_INVALID" in bad.output

    args = [
        "users",
        "create-staff",
        "--username",
        "boss",
        "--email",
        "boss@example.com",
        "--password",
        "long enough",
    ]
    assert runner.invoke(app, args, env=env).exit_code == 0
    again = runner.invoke(app, args, env=env)
    assert again.exit_code == 1
    assert "USERNAME_TAKEN" in again.output


def test_migrate_is_repeatable(settings: Settings) -> None:
    env = _env(settings)
    for _ in range(2):
        result = runner.invoke(app, ["migrate"], env=env)
        assert result.exit_code == 0, result.output
        assert "migrated users" in result.output


def test_unknown_subgraph_is_a_clear_error(settings: Settings) -> None:
    result = runner.invoke(app, ["migrate", "warehouse"], env=_env(settings))
    assert result.exit_code == 2
    assert "unknown subgraph 'warehouse'" in result.output


@pytest.mark.parametrize(
    ("command", "variable", "value", "said"),
    [
        (
            ["migrate", "users"],
            "SHOPGRAPH_DATABASE_POOL_SIZE",
            "-1",
            "SHOPGRAPH_DATABASE_POOL_SIZE: Input should be greater than 0",
        ),
        (["seed"], "SHOPGRAPH_KAFKA_ROUTES", "{order.*", "SHOPGRAPH_KAFKA_ROUTES: not JSON"),
        (
            ["migrate", "users"],
            "SHOPGRAPH_SERVICE_TOKEN",
            "a-short-secret",
            "SHOPGRAPH_SERVICE_TOKEN: must have at least 32 characters",
        ),
        (
            ["worker", "outbox"],
            "SHOPGRAPH_UNDEPLOYED_GROUPS",
            '["social.purchase"]',
            "SHOPGRAPH_UNDEPLOYED_GROUPS: no consumer group is named social.purchase;",
        ),
        (  # commerce's own settings, read by its start-up
            ["serve", "commerce"],
            "SHOPGRAPH_RESERVATION_TTL_SECONDS",
            "-5",
            "SHOPGRAPH_RESERVATION_TTL_SECONDS: Input should be greater than 0",
        ),
    ],
)
def test_a_bad_setting_stops_a_command_with_one_clear_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    variable: str,
    value: str,
    said: str,
) -> None:
    served: list[object] = []
    monkeypatch.setattr("shopgraph.cli.uvicorn.run", lambda app_, **_: served.append(app_))
    env = {"SHOPGRAPH_DATA_DIR": str(tmp_path), variable: value}

    result = runner.invoke(app, command, env=env)

    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"invalid setting {said}")
    assert "Traceback" not in result.output
    assert value not in result.output  # never echoed: it may be a secret
    assert served == []
    assert not (tmp_path / "users.db").exists()  # nothing ran


def test_keys_generate_creates_once_and_keeps_the_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "jwt.pem"
    first = runner.invoke(app, ["keys", "generate", str(path)])
    assert first.exit_code == 0, first.output
    assert "BEGIN PUBLIC KEY" in first.output
    pem = path.read_bytes()
    assert b"BEGIN PRIVATE KEY" in pem
    assert path.stat().st_mode & 0o777 == 0o600

    again = runner.invoke(app, ["keys", "generate", str(path)])
    assert again.exit_code == 0
    assert path.read_bytes() == pem
    assert again.output == first.output


def test_serve_writes_no_access_log_unless_asked(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn's line per request costs CPU in every process: off unless turned on."""
    served: list[dict[str, Any]] = []
    monkeypatch.setattr("shopgraph.cli.uvicorn.run", lambda _app, **options: served.append(options))
    for extra, env in (
        ([], {}),
        (["--access-log"], {}),
        ([], {"SHOPGRAPH_ACCESS_LOG": "true"}),
        (["--log-format", "json"], {"SHOPGRAPH_ACCESS_LOG": "1"}),
    ):
        result = runner.invoke(
            app, ["serve", "users", "--port", "4999", *extra], env={**_env(settings), **env}
        )
        assert result.exit_code == 0, result.output
    assert [options["access_log"] for options in served] == [False, True, True, True]
    assert served[3]["log_config"] is None
