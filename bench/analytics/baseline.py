"""The staff queries as the store ran them before the report tables (the baseline).

salesReport, topProducts and searchTerms read `facts` with FINAL, and funnel counted
distinct sessions over every tracking fact of the window, as the store did until the
narrow tables of clickhouse_views.py; run on the same data in the same run, they show
what the layout bought. Only the statements are kept: answers are not shaped, since
only their cost is compared. operationStats did not change, so it has no baseline here.
"""

# Only the bench's own database name is formatted into the SQL; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from clickhouse_driver import Client

WINDOW = "occurred_at >= toDateTime(%(start)s) AND occurred_at < toDateTime(%(end)s)"


def baseline_queries(
    client: Client, db: str, lo: datetime, hi: datetime
) -> dict[str, Callable[[], Awaitable[object]]]:
    window = {"start": int(lo.timestamp()), "end": int(hi.timestamp())}

    def run(*statements: tuple[str, dict[str, Any]]) -> Callable[[], Awaitable[object]]:
        def all_of() -> list[object]:
            return [client.execute(sql, params) for sql, params in statements]

        return lambda: asyncio.to_thread(all_of)

    def sales(step: int) -> tuple[str, dict[str, Any]]:
        return (
            "SELECT intDiv(toUInt32(occurred_at), %(step)s) * %(step)s AS bucket, count(), "
            f"sum(amount_cents) FROM {db}.facts FINAL WHERE kind = 'order_paid' AND {WINDOW} "
            "GROUP BY bucket ORDER BY bucket",
            window | {"step": step},
        )

    sold = (
        "SELECT product_id, sum(toInt64(quantity)) AS u, sum(amount_cents) AS c "
        f"FROM {db}.facts FINAL WHERE kind = 'order_line' AND {WINDOW} AND order_id IN "
        f"(SELECT order_id FROM {db}.facts WHERE kind = 'order_paid') GROUP BY product_id"
    )
    # The ties statement and the views of ten products, as the old store sent them.
    top = (
        (f"{sold} ORDER BY c DESC, u DESC, product_id LIMIT 10", window),
        (f"{sold} HAVING u = 0 AND c = 0", window),
        (
            f"SELECT product_id, uniqExact(event_key) AS v FROM {db}.facts "
            f"WHERE kind = 'view' AND {WINDOW} AND product_id IN %(ids)s GROUP BY product_id",
            window | {"ids": tuple(f"p{n}" for n in range(10))},
        ),
    )
    search = (
        "SELECT query, count() AS searches, countIf(results = 0) "
        f"FROM {db}.facts FINAL WHERE kind = 'search' AND {WINDOW} "
        "GROUP BY query ORDER BY searches DESC, query LIMIT 20",
        window,
    )

    def buyers(kind: str) -> str:
        return (
            f"(SELECT user_key FROM {db}.facts WHERE kind = '{kind}' "
            f"AND user_id != '' AND {WINDOW})"
        )

    funnel = (
        "SELECT uniqExactIf(session_key, kind = 'view'), "
        "uniqExactIf(session_key, kind = 'cart_add'), "
        f"uniqExactIf(session_key, user_key IN {buyers('order_placed')}), "
        f"uniqExactIf(session_key, user_key IN {buyers('order_paid')}) "
        f"FROM {db}.facts WHERE kind IN ('view', 'search', 'cart_add') AND {WINDOW}",
        window,
    )
    return {
        "salesReport(DAY)": run(sales(86400)),
        "salesReport(HOUR)": run(sales(3600)),
        "topProducts(10)": run(*top),
        "funnel": run(funnel),
        "searchTerms(20)": run(search),
    }
