"""Subscriptions on a subgraph app: graphql-transport-ws, who may subscribe, and from where.

A made-up subgraph serves a `messages` subscription fed by the platform
PubSub and a `caller` subscription that says who the connection belongs to,
on a real port, so the WebSocket handshake goes through uvicorn as it does
in production.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from strawberry.types import Info

from shopgraph.loopback import free_port, served
from subgraphs.platform.app import SubgraphSpec, create_subgraph_app
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.keys import KeyPair, load_key_pair
from subgraphs.platform.auth.tokens import AccessTokens
from subgraphs.platform.context import RequestContext
from subgraphs.platform.pubsub import InProcessPubSub
from subgraphs.platform.resources import Platform
from subgraphs.platform.schema import federation_schema
from subgraphs.platform.settings import Settings
from tests.websocket import (
    HandshakeRefused,
    SocketClosed,
    auth_payload,
    open_socket,
    subscribe,
)

Context = RequestContext[Platform, None]

MESSAGES = """
subscription Messages($channel: String!, $count: Int) {
  messages(channel: $channel, count: $count) { text reader requestId }
}"""
CALLER = "subscription { caller { userId requestId } }"
ME = "{ me }"
ALICE = Principal("alice", Role.CUSTOMER)
BOB = Principal("bob", Role.STAFF)


@strawberry.type
class Message:
    text: str
    reader: str
    request_id: str


@strawberry.type
class Caller:
    user_id: str | None
    request_id: str


@strawberry.type
class Query:
    @strawberry.field
    def me(self, info: Info[Context, None]) -> str | None:
        principal = info.context.principal
        return principal.user_id if principal else None


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def messages(
        self, info: Info[Context, None], channel: str, count: int | None = None
    ) -> AsyncGenerator[Message, None]:
        reader = info.context.require_principal()
        async with info.context.services.pubsub.subscribe(channel) as published:
            received = 0
            async for raw in published:
                yield Message(
                    text=raw.decode(), reader=reader.user_id, request_id=info.context.request_id
                )
                received += 1
                if received == count:
                    return

    @strawberry.subscription
    async def caller(self, info: Info[Context, None]) -> AsyncGenerator[Caller, None]:
        principal = info.context.principal
        user_id = principal.user_id if principal else None
        yield Caller(user_id=user_id, request_id=info.context.request_id)


@asynccontextmanager
async def platform_services(platform: Platform, _: None) -> AsyncIterator[Platform]:
    yield platform


async def always_ready(_: Platform) -> None:
    return None


SPEC: SubgraphSpec[Platform, None, None] = SubgraphSpec(
    name="echo",
    schema=federation_schema(Query, subscription=Subscription),
    open_services=platform_services,
    make_loaders=lambda _: None,
    check_ready=always_ready,
)


@dataclass
class Echo:
    url: str
    host: str
    settings: Settings
    pubsub: InProcessPubSub
    tokens: AccessTokens

    def token(self, principal: Principal = ALICE) -> str:
        return self.tokens.issue(principal)

    async def until_subscribed(self, channel: str, count: int = 1) -> None:
        """Publishing before the server has subscribed would reach no one."""
        async with asyncio.timeout(5):
            # Suppressed: PubSub offers no event to wait on, only a count to poll.
            while await self.pubsub.subscriber_count(channel) != count:  # noqa: ASYNC110
                await asyncio.sleep(0.01)


@pytest.fixture
async def echo(tmp_path: Path, signing_key_pem: str) -> AsyncIterator[Echo]:
    # No database: one run, not one per storage backend as with `settings`.
    settings = Settings(data_dir=tmp_path / "data", jwt_private_key=signing_key_pem)
    app = create_subgraph_app(SPEC, settings)
    port = free_port()
    async with served(app, port) as base_url:
        pubsub = app.state.services.pubsub
        assert isinstance(pubsub, InProcessPubSub)
        tokens = AccessTokens(load_key_pair(settings), settings)
        yield Echo(f"{base_url}/graphql", f"127.0.0.1:{port}", settings, pubsub, tokens)


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = "A" if signature[5] != "A" else "B"
    return ".".join([header, payload, signature[:5] + flipped + signature[6:]])


async def test_a_subscriber_receives_published_messages_in_order_until_complete(
    echo: Echo,
) -> None:
    variables = {"channel": "news", "count": 3}
    headers = {"x-request-id": "req-1"}
    async with subscribe(echo.url, MESSAGES, variables, echo.token(), headers=headers) as payloads:
        await echo.until_subscribed("news")
        for text in ("one", "two", "three"):
            await echo.pubsub.publish("news", text.encode())
        received = [payload async for payload in payloads]

    assert received == [
        {"data": {"messages": {"text": text, "reader": "alice", "requestId": "req-1"}}}
        for text in ("one", "two", "three")
    ]
    assert await echo.pubsub.subscriber_count("news") == 0


async def test_the_clients_complete_stops_the_subscription(echo: Echo) -> None:
    async with subscribe(echo.url, MESSAGES, {"channel": "news"}, echo.token()) as payloads:
        await echo.until_subscribed("news")
        await echo.pubsub.publish("news", b"one")
        first = await anext(payloads)
        await payloads.complete()
        await echo.until_subscribed("news", count=0)

    assert first["data"]["messages"]["text"] == "one"


async def test_an_anonymous_subscriber_gets_an_error_payload(echo: Echo) -> None:
    async with subscribe(echo.url, MESSAGES, {"channel": "news"}) as payloads:
        received = [payload async for payload in payloads]

    # Raised inside the event stream, so graphql-core reports it without a path,
    # and the server then completes the operation (the list ends) as usual.
    assert received == [
        {
            "data": None,
            "errors": [
                {"message": "sign in to see this", "extensions": {"code": "UNAUTHENTICATED"}}
            ],
        }
    ]


async def test_an_anonymous_connection_has_no_principal_but_a_request_id(echo: Echo) -> None:
    async with subscribe(echo.url, CALLER) as payloads:
        received = [payload async for payload in payloads]

    caller = received[0]["data"]["caller"]
    assert len(received) == 1
    assert caller["userId"] is None
    assert len(caller["requestId"]) == 32  # a fresh uuid4 hex


@pytest.mark.parametrize(
    ("payload_key", "header"),
    [("authorization", False), ("Authorization", False), (None, True)],
    ids=["payload", "payload-capitalised", "upgrade-header"],
)
async def test_the_token_is_read_from_the_init_payload_or_the_upgrade_header(
    echo: Echo, payload_key: str | None, header: bool
) -> None:
    bearer = f"Bearer {echo.token()}"
    headers = {"authorization": bearer} if header else {}
    payload = {payload_key: bearer} if payload_key else {}

    async with open_socket(echo.url, headers) as socket:
        await socket.init(payload)
        await socket.send({"id": "1", "type": "subscribe", "payload": {"query": CALLER}})
        first, last = await socket.receive(), await socket.receive()

    assert first["payload"]["data"]["caller"]["userId"] == "alice"
    assert last == {"id": "1", "type": "complete"}


async def test_the_init_payload_wins_over_the_upgrade_header(echo: Echo) -> None:
    headers = {"authorization": f"Bearer {echo.token(BOB)}"}
    async with open_socket(echo.url, headers) as socket:
        await socket.init(auth_payload(echo.token(ALICE)))
        await socket.send({"id": "1", "type": "subscribe", "payload": {"query": CALLER}})
        message = await socket.receive()

    assert message["payload"]["data"]["caller"]["userId"] == "alice"


def _bad_credentials(echo: Echo) -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    """Ways to present a token that must not open a connection: (init payload, headers)."""
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    expired = echo.tokens.issue(ALICE, now=an_hour_ago)
    stranger = Ed25519PrivateKey.generate()
    forged = AccessTokens(KeyPair(stranger.public_key(), stranger), echo.settings).issue(BOB)
    return {
        "tampered": (auth_payload(_tamper(echo.token())), {}),
        "expired": (auth_payload(expired), {}),
        "foreign-key": (auth_payload(forged), {}),
        "not-bearer": ({"authorization": "Basic dXNlcjpwYXNz"}, {}),
        "not-a-string": ({"authorization": 42}, {}),
        "bad-upgrade-header": ({}, {"authorization": "Bearer not-a-jwt"}),
    }


@pytest.mark.parametrize(
    "case",
    ["tampered", "expired", "foreign-key", "not-bearer", "not-a-string", "bad-upgrade-header"],
)
async def test_a_bad_token_closes_the_socket_with_4403(echo: Echo, case: str) -> None:
    payload, headers = _bad_credentials(echo)[case]
    async with open_socket(echo.url, headers) as socket:
        await socket.send({"type": "connection_init", "payload": payload})
        closed = await socket.closed()

    assert closed == (4403, "Forbidden")


async def test_subscribe_raises_when_the_token_is_refused(echo: Echo) -> None:
    with pytest.raises(SocketClosed) as refused:
        async with subscribe(echo.url, CALLER, token=_tamper(echo.token())):
            pass

    assert (refused.value.code, refused.value.reason) == (4403, "Forbidden")


@pytest.mark.parametrize(
    "origin",
    ["http://evil.example", "http://127.0.0.1:1", "null"],
    ids=["other-host", "other-port", "opaque"],
)
async def test_a_foreign_origin_is_refused_at_the_handshake(echo: Echo, origin: str) -> None:
    with pytest.raises(HandshakeRefused) as refused:
        async with open_socket(echo.url, {"origin": origin}):
            pass

    assert refused.value.status == 403


@pytest.mark.parametrize("same_origin", [False, True], ids=["no-origin", "same-host"])
async def test_no_origin_or_the_same_host_is_accepted(echo: Echo, same_origin: bool) -> None:
    headers = {"origin": f"http://{echo.host}"} if same_origin else {}
    async with open_socket(echo.url, headers) as socket:
        await socket.init(auth_payload(echo.token()))
        await socket.send({"id": "1", "type": "subscribe", "payload": {"query": CALLER}})
        message = await socket.receive()

    assert message["payload"]["data"]["caller"]["userId"] == "alice"


async def test_the_legacy_graphql_ws_protocol_is_refused(echo: Echo) -> None:
    async with open_socket(echo.url, protocols=("graphql-ws",)) as socket:
        closed = await socket.closed()

    assert closed == (4406, "Subprotocol not acceptable")


async def test_http_still_serves_queries_and_refuses_a_bad_token(echo: Echo) -> None:
    async with httpx.AsyncClient() as client:
        signed_in = await client.post(
            echo.url, json={"query": ME}, headers={"authorization": f"Bearer {echo.token()}"}
        )
        refused = await client.post(
            echo.url, json={"query": ME}, headers={"authorization": "Bearer not-a-jwt"}
        )

    assert (signed_in.status_code, signed_in.json()) == (200, {"data": {"me": "alice"}})
    assert refused.status_code == 401
    assert refused.json() == {
        "errors": [
            {
                "message": "the access token is invalid or expired",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }
