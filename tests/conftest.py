"""Fixtures every test may use: settings per storage backend, real servers, counts.

`backend` runs a test once on SQLite and once on PostgreSQL (a throwaway
database per test session); `redis_url` gives a flushed Redis database;
`rabbitmq_url` the RabbitMQ broker; `kafka_url` a tansu broker for the
session (or `SHOPGRAPH_TEST_KAFKA_URL`); `clickhouse_url` the ClickHouse server.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import make_url

from subgraphs.platform.database import Database, asyncpg_dsn
from subgraphs.platform.settings import Settings
from tests.backends import CLICKHOUSE, POSTGRES, RABBITMQ, REDIS, missing
from tests.kafka import tansu

BACKENDS = ("sqlite", "postgres")
SERVICE_TOKEN = secrets.token_urlsafe(32)


def throwaway_database(prefix: str) -> Iterator[str]:
    """A fresh PostgreSQL database named `prefix` and a random suffix, dropped afterwards
    (for a fixture to `yield from`)."""
    POSTGRES.require()
    import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints

    admin = make_url(POSTGRES.url)
    name = f"{prefix}_{secrets.token_hex(4)}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    yield admin.set(database=name).render_as_string(hide_password=False)
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    yield from throwaway_database("shopgraph_test")


# The users subgraph reads its hashing costs from the environment, as deployments
# configure it; every app a test builds (alone, or inside `shopgraph dev`) gets these.
CHEAP_HASHING = {
    "SHOPGRAPH_ARGON2_TIME_COST": "1",
    "SHOPGRAPH_ARGON2_MEMORY_KIB": "1024",
    # Tests race dozens of registrations on purpose; the hashing bound has its own tests.
    "SHOPGRAPH_PASSWORD_HASHING_QUEUE": "256",
}


@pytest.fixture(scope="session", autouse=True)
def _cheap_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CHEAP_HASHING.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def signing_key_pem() -> str:
    """One Ed25519 key for the whole run, configured as production would configure it."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(
    backend: str, tmp_path: Path, signing_key_pem: str, request: pytest.FixtureRequest
) -> Iterator[Settings]:
    """Settings on `backend`, with an isolated data dir (cheap hashing: `_cheap_hashing`).

    On PostgreSQL every schema a test created is dropped after it, so each test
    starts from an empty database as it does on SQLite.
    """
    database_url = None
    if backend == "postgres":
        database_url = request.getfixturevalue("postgres_database")
    yield Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        jwt_private_key=signing_key_pem,
        service_token=SERVICE_TOKEN,
    )
    if database_url is not None:
        asyncio.run(_drop_schemas(database_url))


async def _drop_schemas(database_url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        schemas = await connection.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
            "AND nspname NOT IN ('public', 'information_schema')"
        )
        for row in schemas:
            await connection.execute(f'DROP SCHEMA "{row["nspname"]}" CASCADE')
    finally:
        await connection.close()


@pytest.fixture
async def redis_url() -> str:
    """A Redis database emptied before the test."""
    REDIS.require()
    import redis.asyncio as redis

    client = redis.from_url(REDIS.url)
    await client.flushdb()
    await client.aclose()
    return REDIS.url


@pytest.fixture
def rabbitmq_url() -> str:
    """The RabbitMQ broker; a test names its exchange and queues uniquely and deletes them."""
    RABBITMQ.require()
    return RABBITMQ.url


@pytest.fixture(scope="session")
def kafka_url() -> Iterator[str]:
    """A Kafka-protocol broker for the whole session: tansu on a free loopback port."""
    given = os.environ.get("SHOPGRAPH_TEST_KAFKA_URL")
    if given:
        yield given
        return
    try:
        broker = tansu()
        url = broker.__enter__()
    except (RuntimeError, OSError) as error:
        missing(f"the tansu Kafka broker did not start: {error}")
    yield url
    broker.__exit__(None, None, None)


@pytest.fixture
def clickhouse_url() -> str:
    """The ClickHouse server; a test uses its own database and drops it."""
    CLICKHOUSE.require()
    return CLICKHOUSE.url


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    """An empty database of a made-up subgraph (its own PostgreSQL schema or SQLite file)."""
    db = Database(settings, f"test_{secrets.token_hex(4)}")
    if not db.is_sqlite:
        async with db.engine.begin() as connection:
            await connection.exec_driver_sql(f'CREATE SCHEMA "{db.subgraph}"')
    yield db
    await db.close()


# --- per-backend counts for the CI log -------------------------------------------------

_ran: Counter[str] = Counter()


def _backends_of(item: pytest.Item) -> set[str]:
    used: set[str] = set()
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "backend" in callspec.params:
        used.add(str(callspec.params["backend"]))
    fixtures = set(getattr(item, "fixturenames", ()))
    if "redis_url" in fixtures:
        used.add("redis")
    if "rabbitmq_url" in fixtures:
        used.add("rabbitmq")
    if "kafka_url" in fixtures:
        used.add("kafka")
    if "clickhouse_url" in fixtures:
        used.add("clickhouse")
    used.update(
        m.name
        for m in item.iter_markers()
        if m.name in {"postgres", "redis", "rabbitmq", "kafka", "clickhouse"}
    )
    return used


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for name in sorted(_backends_of(item)):
            item.user_properties.append(("backend", name))
            if name != "sqlite":
                item.add_marker(getattr(pytest.mark, name))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        _ran["all"] += 1
        for key, value in report.user_properties:
            if key == "backend":
                _ran[str(value)] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.section("tests passed per backend")
    for name in ("all", "sqlite", "postgres", "redis", "rabbitmq", "kafka", "clickhouse"):
        terminalreporter.write_line(f"{name:>9}: {_ran[name]}")
