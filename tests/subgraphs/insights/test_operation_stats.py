"""`operationStats` read through the insights subgraph's GraphQL API: requests through the
router become usage records on the test broker (tansu), the analytics worker stores them
in ClickHouse, and staff get the router's own figures back from `/graphql`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from subgraphs.insights.app import create_app
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.settings import Settings
from tests.graphql import serve
from tests.router.telemetry.test_usage_log import used_through_the_router
from tests.subgraphs.insights.test_analytics_worker import store_at

STATS = """query Stats($from: DateTime!, $to: DateTime!) {
  operationStats(from: $from, to: $to) { operationName requests errors p95Ms }
}"""


async def stats_through_graphql(settings: Settings, role: Role) -> dict[str, Any]:
    now = datetime.now(UTC)
    window = {
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
    }
    app = create_app(settings)
    async with serve(app, "http://insights") as client:
        token = app.state.platform_tokens.issue(Principal("u1", role))
        response = await client.post(
            "/graphql",
            json={"query": STATS, "variables": window},
            headers={"authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_router_usage_reads_back_through_operation_stats(
    kafka_url: str, clickhouse_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = store_at(clickhouse_url)
    await store.create_tables()
    try:
        await used_through_the_router(kafka_url, store)
        base = clickhouse_url.rstrip("/").rsplit("/", 1)[0]
        monkeypatch.setenv("SHOPGRAPH_CLICKHOUSE_URL", f"{base}/{store.database}")
        staff = await stats_through_graphql(settings, Role.STAFF)
        customer = await stats_through_graphql(settings, Role.CUSTOMER)
    finally:
        await store.drop()
        await store.close()

    rows = staff["data"]["operationStats"]
    assert [(r["operationName"], r["requests"], r["errors"]) for r in rows] == [
        ("Top", 3, 0),
        ("(anonymous)", 1, 1),
    ]
    # Durations are the router's own measurements: positive, in milliseconds.
    assert all(isinstance(r["p95Ms"], float) and 0 < r["p95Ms"] < 60_000 for r in rows)
    assert "errors" not in staff
    assert customer["data"] is None
    assert [e["extensions"]["code"] for e in customer["errors"]] == ["FORBIDDEN"]
