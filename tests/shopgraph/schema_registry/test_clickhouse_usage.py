"""The usage log port on ClickHouse: `shopgraph schema check --usage clickhouse://...` reads
the operations insights' analytics store keeps, written here through insights' own code."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from shopgraph.cli import app
from shopgraph.schema_registry.clickhouse_usage import ClickHouseUsageLog
from shopgraph.schema_registry.operations import load_documents
from shopgraph.schema_registry.usage import SeenOperation, UsageLogUnreachable
from subgraphs.insights.analytics.clickhouse import ClickHouseAnalyticsStore
from subgraphs.insights.analytics.facts import operation_of
from subgraphs.platform.events import Event
from tests.shopgraph.schema_registry.conftest import edited

runner = CliRunner()
NOW = datetime.now(UTC).replace(microsecond=0)


def executed(
    name: str,
    document_hash: str,
    client: str,
    version: str,
    at: datetime,
    coordinates: list[str] | None = None,
) -> Event:
    payload: dict[str, object] = {
        "operationName": name,
        "documentHash": document_hash,
        "clientName": client,
        "clientVersion": version,
        "durationMs": 4.5,
        "errors": 0,
        "userHash": "",
    }
    if coordinates is not None:  # what the router sends; older records have none
        payload["coordinates"] = coordinates
    return Event(uuid.uuid4(), "operation.executed", 1, at, name, payload)  # type: ignore[arg-type]


@pytest.fixture
def usage_url(clickhouse_url: str) -> Iterator[str]:
    """An analytics database of its own, with the usage records of `records()`."""
    url = f"{clickhouse_url.rstrip('/').rsplit('/', 1)[0]}/test_{secrets.token_hex(4)}"
    store = ClickHouseAnalyticsStore(url)

    async def create() -> None:
        await store.create_tables()
        await store.close()

    async def drop() -> None:
        await store.drop()
        await store.close()

    asyncio.run(create())
    yield url
    asyncio.run(drop())


def insert(url: str, events: list[Event]) -> None:
    async def run() -> None:
        store = ClickHouseAnalyticsStore(url)
        await store.insert([], [operation_of(e) for e in events])
        await store.close()

    asyncio.run(run())


def test_the_log_answers_the_operations_seen_in_the_last_days(usage_url: str) -> None:
    insert(
        usage_url,
        [
            executed("Me", "sha256:aa", "ios", "2.1", NOW - timedelta(days=2)),
            executed("Me", "sha256:aa", "ios", "2.1", NOW - timedelta(days=1)),
            executed("Me", "sha256:aa", "ios", "2.0", NOW - timedelta(days=6)),
            executed("Cart", "bb", "web", "", NOW - timedelta(hours=1)),
            executed("Old", "cc", "web", "", NOW - timedelta(days=40)),
        ],
    )
    log = ClickHouseUsageLog(usage_url, now=lambda: NOW)
    assert log.seen_operations(5) == [
        SeenOperation("ios 2.1", "Me", "sha256:aa"),
        SeenOperation("web", "Cart", "bb"),
    ]
    assert log.seen_operations(60) == [
        SeenOperation("ios 2.0", "Me", "sha256:aa"),
        SeenOperation("ios 2.1", "Me", "sha256:aa"),
        SeenOperation("web", "Cart", "bb"),
        SeenOperation("web", "Old", "cc"),
    ]


def test_check_names_the_clients_the_log_saw_using_a_removed_field(
    repo: Path, usage_url: str
) -> None:
    documents = load_documents(repo / "schema" / "operations")
    me = next(d for d in documents if d.name == "Me")
    insert(
        usage_url,
        [
            executed("Me", me.id, "ios", "2.1", NOW - timedelta(days=1)),
            executed("Adhoc", "f" * 64, "scripts", "", NOW - timedelta(days=2)),
            executed("Me", me.hash, "android", "1.0", NOW - timedelta(days=20)),
        ],
    )
    sdl = edited(
        repo, "users", '  """Visible to the user and to staff only."""\n  email: String!\n', ""
    )
    result = runner.invoke(
        app,
        [
            "schema", "check", "--registry", str(repo / "schema"), "--subgraph", "users",
            "--sdl", str(sdl), "--usage", usage_url, "--usage-days", "7", "--format", "json",
        ],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    report = orjson.loads(result.output)
    assert [(c["coordinate"], c["affectedOperations"], c["fails"]) for c in report["changes"]] == [
        (
            "User.email",
            [
                {"client": "ios 2.1", "operation": "Me", "source": "usage log"},
                *(
                    {"client": "storefront", "operation": name, "source": "trusted document"}
                    for name in ("Login", "Me", "RefreshToken", "Register", "User")
                ),
            ],
            True,
        )
    ]
    assert report["notes"] == [
        "operations in the usage log without a trusted document, so what they use is "
        "unknown: Adhoc (scripts)"
    ]


def test_the_coordinates_a_seen_operation_used_fail_a_change_without_a_trusted_document(
    repo: Path, usage_url: str
) -> None:
    """No trusted document reads `Product.updatedAt`: removing it passes on documents alone,
    and fails once the router's log saw an ad-hoc operation use it in the last days."""
    insert(
        usage_url,
        [
            executed(
                "Adhoc", "f" * 64, "scripts", "0.3", NOW - timedelta(days=1),
                ["Query.product", "Query.product(id:)", "Product.updatedAt"],
            ),
            executed("Browse", "e" * 64, "web", "", NOW - timedelta(hours=2), ["Query.products"]),
            executed("Stale", "d" * 64, "cron", "", NOW - timedelta(days=20), ["Product.updatedAt"]),
        ],
    )  # fmt: skip
    sdl = edited(repo, "catalog", "  updatedAt: DateTime!\n", "")
    check = [
        "schema", "check", "--registry", str(repo / "schema"), "--subgraph", "catalog",
        "--sdl", str(sdl), "--format", "json",
    ]  # fmt: skip
    documents_only = runner.invoke(app, check)
    assert documents_only.exit_code == 0, documents_only.output
    result = runner.invoke(app, [*check, "--usage", usage_url, "--usage-days", "7"])
    assert result.exit_code == 1, result.output
    report = orjson.loads(result.output)
    assert [(c["coordinate"], c["affectedOperations"], c["fails"]) for c in report["changes"]] == [
        (
            "Product.updatedAt",
            [{"client": "scripts 0.3", "operation": "Adhoc", "source": "usage log"}],
            True,
        )
    ]
    assert report["notes"] == []


def test_an_unreachable_or_unknown_usage_log_is_a_usage_error(repo: Path) -> None:
    check = ["schema", "check", "--registry", str(repo / "schema"), "--usage-days", "3"]
    down = runner.invoke(app, [*check, "--usage", "clickhouse://127.0.0.1:5999/usage"])
    assert down.exit_code == 2
    assert "error: usage log at clickhouse://127.0.0.1:5999/usage: " in down.output
    other = runner.invoke(app, [*check, "--usage", "kafka://127.0.0.1:9092"])
    assert (other.exit_code, other.output) == (
        2,
        "error: unsupported usage log 'kafka://127.0.0.1:9092': use clickhouse://host:port/db\n",
    )
    with pytest.raises(UsageLogUnreachable):
        ClickHouseUsageLog("clickhouse://127.0.0.1:5999/usage").seen_operations(1)
