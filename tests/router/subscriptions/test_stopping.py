"""SIGTERM to a real `shopgraph router --workers 2` process ends its subscriptions with 1001
(WebSocket) and a SHUTTING_DOWN error event (SSE), not with uvicorn's own 1012."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from shopgraph.loopback import free_port
from shopgraph.registry import SUBGRAPHS, SubgraphEntry
from shopgraph.supergraph import compose_subgraphs
from tests.router.subscriptions.conftest import STATUS, DevShop
from tests.router.subscriptions.test_reload import SseEvents, read_until_closed, sse_ending
from tests.shopgraph.test_router_process import started, two_workers
from tests.websocket import SocketClosed, subscribe


async def test_sigterm_closes_every_subscription_with_going_away(
    shop: DevShop, tmp_path: Path
) -> None:
    ada = await shop.register("ada")
    order_id, _ = await shop.place_order(ada)
    dev = urlsplit(shop.url)

    def url_of(entry: SubgraphEntry) -> str:
        return f"http://127.0.0.1:{dev.port}/subgraphs/{entry.name}/graphql"

    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(compose_subgraphs(url_of))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = await two_workers(supergraph, port, url_of(SUBGRAPHS["users"]), {})
    body = {"query": STATUS, "variables": {"id": order_id}}
    headers = {**ada.headers, "accept": "text/event-stream"}
    events: list[tuple[str, Any]] = []
    try:
        await started(url, process)
        async with (
            httpx.AsyncClient(base_url=url, timeout=10) as http,
            http.stream("POST", "/graphql", json=body, headers=headers) as response,
            subscribe(
                f"ws://127.0.0.1:{port}/graphql", STATUS, {"id": order_id}, token=ada.token
            ) as payloads,
        ):
            sse = SseEvents(response)
            events.append(await sse.next())
            await anext(payloads)

            process.send_signal(signal.SIGTERM)

            with pytest.raises(SocketClosed) as closed:
                await read_until_closed(payloads)
            while events[-1][0] != "complete":
                events.append(await sse.next())
        code = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert (closed.value.code, closed.value.reason) == (
        1001,
        "The router is shutting down; subscribe again.",
    )
    assert events[-2:] == sse_ending(
        "The router is shutting down; subscribe again.", "SHUTTING_DOWN"
    )
    assert code == 0
