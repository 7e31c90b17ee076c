"""`ClickHouseAnalyticsStore`: analytics in ClickHouse through clickhouse-driver.

The SQL stays inside what ClickHouse 18.16 (Debian) and current releases both
run: DateTime (no DateTime64), ReplacingMergeTree with ORDER BY and PARTITION
BY, FINAL, -If combinators, quantileExact, IN subqueries; no window functions,
CTEs, JSON or Map. Duplicates of a fact share its whole sorting key
(kind, occurred_at, event_key, line; see clickhouse_tables.py), so
ReplacingMergeTree keeps one; reads that count or sum use FINAL to see one
before merges happen, while distinct counts and IN sets, which repeats cannot
change, skip its cost. Sales, top products and the funnel read the narrow tables
that materialized views keep beside `facts` (clickhouse_views.py). Times cross the wire as
Unix seconds, so neither the server's nor the client's time zone matters;
rows are always passed as parameters (an inline VALUES insert hangs on 18.16).
The driver is synchronous: calls run in a worker thread, one at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from clickhouse_driver import Client
from clickhouse_driver.settings.available import settings as known_settings

from subgraphs.insights.analytics import clickhouse_tables, clickhouse_views
from subgraphs.insights.analytics.facts import (
    FACT_COLUMNS,
    OPERATION_COLUMNS,
    Fact,
    FactBatch,
    FactKind,
    Operation,
)
from subgraphs.insights.analytics.port import (
    FunnelCounts,
    Granularity,
    OperationStat,
    ProductStat,
    SalesPoint,
    SearchTermStat,
    money,
    rank_products,
)

_T = TypeVar("_T")


_IN_WINDOW = "occurred_at >= toDateTime(%(start)s) AND occurred_at < toDateTime(%(end)s)"


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


class ClickHouseAnalyticsStore:
    def __init__(self, url: str) -> None:
        address = urlsplit(url)
        self.database = address.path.strip("/") or "default"
        if not self.database.replace("_", "").isalnum():
            raise ValueError(f"unusable ClickHouse database name {self.database!r}")
        self._connect = {
            "host": address.hostname or "127.0.0.1",
            "port": address.port or 9000,
            "user": unquote(address.username or "default"),
            "password": unquote(address.password or ""),
            # Tables are named with their database, which may not exist yet.
            "database": "default",
            "connect_timeout": 3,
            "send_receive_timeout": 30,
        }
        # The query string names the connection (`client_name`, as server logs show it)
        # and sets ClickHouse settings for every query, e.g. `?log_queries=1`.
        options = dict(parse_qsl(address.query))
        if "client_name" in options:
            self._connect["client_name"] = options.pop("client_name")
        unknown = sorted(set(options) - set(known_settings))
        if unknown:
            # The driver would skip them with a warning; a typo should not go unnoticed.
            raise ValueError(f"unknown ClickHouse settings in the URL: {', '.join(unknown)}")
        if options:
            self._connect["settings"] = options
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def _run(self, work: Callable[[Client], _T]) -> _T:
        async with self._lock:
            if self._client is None:
                self._client = Client(**self._connect)
            client = self._client
            try:
                return await asyncio.to_thread(work, client)
            except BaseException:
                # A half-done call leaves the connection unusable; start afresh next time.
                await asyncio.to_thread(client.disconnect)
                raise

    async def _rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = await self._run(lambda c: c.execute(sql, params))
        return rows

    async def create_tables(self) -> None:
        await self._run(lambda client: clickhouse_tables.create(client, self.database))

    async def insert(self, facts: Sequence[Fact], operations: Sequence[Operation] = ()) -> None:
        db = self.database
        # Sent as columns, as the native protocol carries them: the driver need not
        # turn rows around, and the whole batch is one block.
        # A Fact is a tuple in column order, so the columns are the facts transposed;
        # only the kind and the time need their wire form (as `Fact.row` gives them).
        # The worker's batches have the kinds as text already (`FactBatch`).
        fact_columns: list[list[Any]]
        if isinstance(facts, FactBatch):
            fact_columns = facts.columns()
        else:
            fact_columns = [list(column) for column in zip(*facts, strict=True)]
            if fact_columns:
                fact_columns[2] = [kind.value for kind in fact_columns[2]]
        if fact_columns:
            fact_columns[3] = [int(at.timestamp()) for at in fact_columns[3]]
        operation_rows = [o.row() for o in operations]

        def insert(client: Client) -> None:
            if fact_columns:
                client.execute(
                    f"INSERT INTO {db}.facts ({FACT_COLUMNS}) VALUES", fact_columns, columnar=True
                )
            if operation_rows:
                client.execute(
                    f"INSERT INTO {db}.operations ({OPERATION_COLUMNS}) VALUES", operation_rows
                )

        await self._run(insert)

    def _window(self, start: datetime, end: datetime, **more: Any) -> dict[str, Any]:
        return {"start": _seconds(start), "end": _seconds(end), **more}

    async def sales_report(
        self, start: datetime, end: datetime, granularity: Granularity
    ) -> list[SalesPoint]:
        rows = await self._rows(
            f"SELECT intDiv(toUInt32(occurred_at), %(step)s) * %(step)s AS bucket, "
            f"count(), sum(amount_cents) FROM {self.database}.paid_orders FINAL "
            f"WHERE {_IN_WINDOW} GROUP BY bucket ORDER BY bucket",
            self._window(start, end, step=granularity.seconds),
        )
        return [SalesPoint(datetime.fromtimestamp(b, UTC), n, money(c)) for b, n, c in rows]

    async def top_products(self, start: datetime, end: datetime, first: int) -> list[ProductStat]:
        # Views only order products whose sales tie, so they are counted for the
        # `first` best sellers and whatever ties the last of them, not for every
        # product; only when fewer than `first` products sold do the most viewed
        # unsold ones fill the list. Lines and views come from their narrow tables
        # (clickhouse_views.py): views are distinct event keys, so repeats need no
        # FINAL; paid order keys are a set, so that subquery needs none either.
        db = self.database
        window = self._window(start, end, first=first)
        sold_sql = (
            "SELECT product_id, sum(toInt64(quantity)) AS u, sum(amount_cents) AS c "
            f"FROM {db}.order_lines FINAL WHERE {_IN_WINDOW} AND order_key IN "
            f"(SELECT order_key FROM {db}.paid_orders) GROUP BY product_id"
        )
        # One more than asked: only when it ties the last place are the ties looked up.
        ranked = await self._rows(
            f"{sold_sql} ORDER BY c DESC, u DESC, product_id LIMIT %(over)s",
            window | {"over": first + 1},
        )
        best = ranked[:first]
        sold = {p: (int(u), int(c)) for p, u, c in best}
        if len(ranked) > first and ranked[first][1:] == best[-1][1:]:
            last = {"u": best[-1][1], "c": best[-1][2]}
            ties = await self._rows(f"{sold_sql} HAVING u = %(u)s AND c = %(c)s", window | last)
            sold.update({p: (int(u), int(c)) for p, u, c in ties})
        views_sql = (
            f"SELECT product_id, uniqExact(event_key) AS v FROM {db}.product_views "
            f"WHERE {_IN_WINDOW} AND product_id"
        )
        views: dict[str, int] = {}
        if sold:
            rows = await self._rows(
                f"{views_sql} IN %(ids)s GROUP BY product_id", window | {"ids": tuple(sold)}
            )
            views.update((p, int(v)) for p, v in rows)
        if len(sold) < first:
            rows = await self._rows(
                f"{views_sql} NOT IN %(ids)s GROUP BY product_id ORDER BY v DESC, product_id "
                "LIMIT %(more)s",
                window | {"ids": tuple(sold) or ("",), "more": first - len(sold)},
            )
            views.update((p, int(v)) for p, v in rows)
        return rank_products(sold, views, first)

    async def funnel(self, start: datetime, end: datetime) -> FunnelCounts:
        db = self.database
        # Distinct counts and IN sets do not change when a row is repeated, so no
        # FINAL here; sessions and users are compared by their 64-bit keys. The whole
        # hours of the window come from session_steps, a row per session, user and
        # step in each hour (clickhouse_views.py); the seconds before the first whole
        # hour and after the last come from facts.
        hours_from = min(-(-_seconds(start) // 3600) * 3600, _seconds(end))
        hours_to = max(_seconds(end) // 3600 * 3600, hours_from)
        window = self._window(start, end, hours_from=hours_from, hours_to=hours_to)

        # Who ordered comes from facts; who paid from paid_orders, where a guest's
        # payment has user_key 0 (facts' user_key is cityHash64 of the text, '' too).
        ordered_by = (
            f"(SELECT user_key FROM {db}.facts WHERE kind = '{FactKind.ORDER_PLACED.value}' "
            f"AND user_id != '' AND {_IN_WINDOW})"
        )
        paid_by = f"(SELECT user_key FROM {db}.paid_orders WHERE user_key != 0 AND {_IN_WINDOW})"

        steps = (
            f"SELECT kind, session_key, user_key FROM {db}.session_steps "
            "WHERE hour >= toDateTime(%(hours_from)s) AND hour < toDateTime(%(hours_to)s)"
        )
        # One plain range per edge, and none when an edge is empty: 18.16 reads far more
        # of the sorting key's ranges for an OR of two.
        for edge_from, edge_to in (("start", "hours_from"), ("hours_to", "end")):
            if window[edge_from] < window[edge_to]:
                steps += (
                    f" UNION ALL SELECT kind, session_key, user_key FROM {db}.facts "
                    "WHERE kind IN ('view', 'search', 'cart_add') "
                    f"AND occurred_at >= toDateTime(%({edge_from})s) "
                    f"AND occurred_at < toDateTime(%({edge_to})s)"
                )
        [(views, adds, ordered, paid)] = await self._rows(
            "SELECT uniqExactIf(session_key, kind = 'view'), "
            "uniqExactIf(session_key, kind = 'cart_add'), "
            f"uniqExactIf(session_key, user_key IN {ordered_by}), "
            f"uniqExactIf(session_key, user_key IN {paid_by}) "
            f"FROM ({steps})",
            window,
        )
        return FunnelCounts(views, adds, ordered, paid)

    async def search_terms(
        self, start: datetime, end: datetime, first: int
    ) -> list[SearchTermStat]:
        # Searches counted as distinct event keys: repeats change nothing, without
        # the cost of FINAL over every search of the window.
        rows = await self._rows(
            "SELECT query, uniqExact(event_key) AS searches, uniqExactIf(event_key, results = 0) "
            f"FROM {self.database}.facts WHERE kind = 'search' AND {_IN_WINDOW} "
            "GROUP BY query ORDER BY searches DESC, query LIMIT %(first)s",
            self._window(start, end, first=first),
        )
        return [SearchTermStat(q, n, z) for q, n, z in rows]

    async def operation_stats(
        self, start: datetime, end: datetime, first: int
    ) -> list[OperationStat]:
        rows = await self._rows(
            "SELECT operation_name, count() AS requests, countIf(error_count > 0), "
            f"quantileExact(0.95)(duration_ms) FROM {self.database}.operations FINAL "
            "WHERE occurred_at >= toDateTime(%(start)s) AND occurred_at < toDateTime(%(end)s) "
            "GROUP BY operation_name ORDER BY requests DESC, operation_name LIMIT %(first)s",
            self._window(start, end, first=first),
        )
        return [OperationStat(name, n, e, float(p)) for name, n, e, p in rows]

    async def ping(self) -> None:
        await self._rows("SELECT 1", {})

    async def seen_operations(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, str, str, str, frozenset[str]]]:
        """Each (client name, client version, operation name, document hash) served in the
        window, with every coordinate its records name: what `shopgraph schema check` asks
        of the usage log."""
        rows = await self._rows(
            "SELECT client_name, client_version, operation_name, document_hash, "
            f"groupUniqArrayArray(coordinates) FROM {self.database}.operations "
            f"WHERE {_IN_WINDOW} "
            "GROUP BY client_name, client_version, operation_name, document_hash "
            "ORDER BY client_name, client_version, operation_name, document_hash",
            self._window(start, end),
        )
        return [(str(c), str(v), str(o), str(h), frozenset(used)) for c, v, o, h, used in rows]

    async def drop(self) -> None:
        """Drop the whole database (tests and benches), its materialized views first."""
        # Dropping a table waits for its merges to stop, which after many small inserts
        # on a busy machine took minutes: a connection of its own waits that long.
        patient = Client(**(self._connect | {"send_receive_timeout": 600}))
        try:
            await asyncio.to_thread(clickhouse_views.drop, patient, self.database)
            await asyncio.to_thread(patient.execute, f"DROP DATABASE IF EXISTS {self.database}")
        finally:
            await asyncio.to_thread(patient.disconnect)

    async def close(self) -> None:
        async with self._lock:
            if self._client is not None:
                await asyncio.to_thread(self._client.disconnect)
                self._client = None
