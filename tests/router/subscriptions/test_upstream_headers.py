"""Header rules apply to the upstream subscription as to any fetch: the subgraph's
WebSocket upgrade carries what the rules send it, and nothing else of the client's."""

from __future__ import annotations

import asyncio

from tests.router.subscriptions.flood import Flood, flooded_router
from tests.websocket import auth_payload, subscribe

RULES = {
    "all": [{"insert": "x-gateway", "value": "shopgraph"}],
    "flood": [
        {"propagate": "x-client-version", "rename": "x-app-version"},
        {"propagate": "x-tenant", "default": "public"},
        {"remove": "x-gateway"},
        {"insert": "x-subgraph-secret", "value": "s3cret"},
    ],
}


async def test_the_upstream_socket_gets_the_headers_the_rules_send() -> None:
    flood = Flood(most=1)
    async with flooded_router(flood, header_rules=RULES) as router:
        headers = {"x-client-version": "7.1", "x-not-forwarded": "private"}
        async with subscribe(
            router.ws_url, "subscription { flood }", {}, token="abc", headers=headers
        ) as payloads:
            [payload] = [payload async for payload in payloads]
        await asyncio.wait_for(flood.closed.wait(), 10)

    assert payload["data"]["flood"].startswith("0:")
    sent = {
        name: value
        for name, value in flood.upgrade_headers.items()
        if name.startswith("x-") or name == "authorization"
    }
    assert sent == {
        "authorization": "Bearer abc",  # forward_headers, from connection_init
        "x-app-version": "7.1",
        "x-tenant": "public",
        "x-subgraph-secret": "s3cret",
        "x-forwarded-for": "127.0.0.1",  # the client's address, as every fetch gets it
    }
    assert flood.init_payload == auth_payload("abc")
