"""Account details that are not visible in one request: hashes, events, readiness, schema."""

from __future__ import annotations

import bcrypt
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, update

from subgraphs.platform.settings import Settings
from subgraphs.users.app import create_app
from subgraphs.users.models import UserRow, metadata, outbox
from tests.graphql import serve
from tests.subgraphs.users.conftest import UsersSubgraph


async def _hash_of(users: UsersSubgraph, username: str) -> str:
    async with users.services.database.session() as session:
        return str(
            await session.scalar(select(UserRow.password_hash).where(UserRow.username == username))
        )


async def test_passwords_are_stored_as_argon2id(users: UsersSubgraph) -> None:
    await users.register("pia", password="correct horse")
    stored = await _hash_of(users, "pia")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored


async def test_a_legacy_bcrypt_hash_signs_in_and_is_upgraded(users: UsersSubgraph) -> None:
    await users.register("quin", password="something else")
    legacy = bcrypt.hashpw(b"old password", bcrypt.gensalt(rounds=4)).decode()
    async with users.services.database.session() as session:
        await session.execute(
            update(UserRow).where(UserRow.username == "quin").values(password_hash=legacy)
        )

    assert (await users.login("quin@example.com", "old password"))["errors"] == []
    assert (await _hash_of(users, "quin")).startswith("$argon2id$")
    assert (await users.login("quin@example.com", "old password"))["errors"] == []


async def test_registration_emits_user_registered_through_the_outbox(users: UsersSubgraph) -> None:
    registered = await users.register("rita")
    await users.services.relay.relay_once()
    async with users.services.database.session() as session:
        rows = (await session.execute(select(outbox))).all()
    assert [(row.type, row.subject_id, row.sent_at is not None) for row in rows] == [
        ("user.registered", registered["user"]["id"], True)
    ]


async def test_health_and_readiness(users: UsersSubgraph) -> None:
    assert (await users.client.get("/healthz")).json() == {"status": "ok", "subgraph": "users"}
    assert (await users.client.get("/readyz")).json() == {"status": "ready", "subgraph": "users"}


async def test_readiness_fails_while_the_database_does_not_answer(
    users: UsersSubgraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unreachable() -> None:
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr(users.services.database, "ping", unreachable)
    response = await users.client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "ConnectionRefusedError"}
    assert (await users.client.get("/healthz")).status_code == 200


async def test_migrations_create_exactly_the_models(settings: Settings) -> None:
    app = create_app(settings)
    async with serve(app):
        engine = app.state.services.database.engine
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    assert differences == []
