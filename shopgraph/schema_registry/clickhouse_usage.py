"""`ClickHouseUsageLog`: the router's usage log, as insights' analytics store keeps it.

`shopgraph schema check --usage clickhouse://host:9000/database` reads the
`operations` table that `shopgraph worker analytics` fills from the router's
`operation.executed` records. A record names the client (name and version),
the operation, its document hash and the field coordinates it used, so a
breaking change fails the check for an operation seen, trusted document or
not. Records from before the router sent coordinates have none: `Usage` places
those through the trusted document with their hash.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from clickhouse_driver.errors import Error as ClickHouseError

from shopgraph.schema_registry.usage import SeenOperation, UsageLogUnreachable
from subgraphs.insights.analytics.clickhouse import ClickHouseAnalyticsStore


def _now() -> datetime:
    return datetime.now(UTC)


class ClickHouseUsageLog:
    def __init__(self, url: str, now: Callable[[], datetime] = _now) -> None:
        self.url = url
        self._now = now

    def seen_operations(self, days: int) -> list[SeenOperation]:
        end = self._now()
        start = end - timedelta(days=days)

        async def read() -> list[tuple[str, str, str, str, frozenset[str]]]:
            store = ClickHouseAnalyticsStore(self.url)
            try:
                return await store.seen_operations(start, end + timedelta(seconds=1))
            finally:
                await store.close()

        try:
            # check runs synchronously, from the shell: one short-lived loop is enough.
            rows = asyncio.run(read())
        except (ClickHouseError, OSError, EOFError, ValueError) as error:
            raise UsageLogUnreachable(f"usage log at {self.url}: {error}") from error
        return [
            SeenOperation(f"{name} {version}".strip(), operation, document_hash, used or None)
            for name, version, operation, document_hash, used in rows
        ]
