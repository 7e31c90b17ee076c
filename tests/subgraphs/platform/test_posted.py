"""The common POST /graphql is answered without Strawberry's HTTP layer, exactly as that layer would.

Each request goes once through the whole subgraph app (where `PostedGraphQL`
answers the common case) and once straight into the Strawberry view; the
status, every header and the body must be the same. The catalog subgraph on
SQLite is the subject: the HTTP layer is the platform's, shared by all five.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Message

from subgraphs.catalog.app import create_app
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.service_token import HEADER as SERVICE_HEADER
from subgraphs.platform.settings import Settings
from subgraphs.platform.view import SubgraphGraphQL
from tests.conftest import SERVICE_TOKEN

JSON = {"content-type": "application/json"}
ENTITIES = (
    "query Entities($representations: [_Any!]!) { _entities(representations: $representations) "
    "{ ... on Product { id name } } }"
)
CREATE = (
    "mutation Create($input: ProductInput!) { createProduct(input: $input) "
    "{ product { id } errors { code } } }"
)
DEEP = (
    "{ __typename "
    + "products(first: 1) { edges { node { category { products { edges { node { " * 20
    + "}" * 200
)


@dataclass
class Answer:
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    def json(self) -> Any:
        return orjson.loads(self.body)


Call = Callable[..., Awaitable[Answer]]


async def call(
    app: ASGIApp,
    body: bytes,
    headers: dict[str, str],
    method: str = "POST",
    chunks: int = 1,
    root_path: str = "",
) -> Answer:
    """One request through an ASGI app, the body sent in `chunks` pieces."""
    raw = [(b"host", b"catalog")] + [(k.encode(), v.encode()) for k, v in headers.items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": root_path + "/graphql",
        "raw_path": (root_path + "/graphql").encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 4002),
        "state": {},
    }
    size = -(-len(body) // chunks) or 1
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    answer = Answer()

    async def receive() -> Message:
        if pieces:
            piece = pieces.pop(0)
            return {"type": "http.request", "body": piece, "more_body": bool(pieces)}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = list(message["headers"])
        else:
            answer.body += message.get("body", b"")

    await app(scope, receive, send)
    return answer


@dataclass
class Subgraph:
    app: Starlette
    view: SubgraphGraphQL
    customer_token: str
    staff_token: str


@pytest.fixture
async def subgraph(tmp_path: Path, signing_key_pem: str) -> AsyncIterator[Subgraph]:
    settings = Settings(
        data_dir=tmp_path / "data",
        jwt_private_key=signing_key_pem,
        service_token=SERVICE_TOKEN,
        max_request_bytes=4096,
    )
    app = create_app(settings)
    [view] = [r.endpoint for r in app.routes if isinstance(r, Route) and r.path == "/graphql"]
    assert isinstance(view, SubgraphGraphQL)
    async with app.router.lifespan_context(app):
        tokens = app.state.platform_tokens
        yield Subgraph(
            app,
            view,
            tokens.issue(Principal("customer-1", Role.CUSTOMER)),
            tokens.issue(Principal("staff-1", Role.STAFF)),
        )


@pytest.fixture
def strawberry_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The requests that reached Strawberry's `run` (the view's own HTTP handling)."""
    runs: list[str] = []
    original = SubgraphGraphQL.run

    async def run(self: SubgraphGraphQL, request: Any, *args: Any, **kwargs: Any) -> Any:
        runs.append(request.method)
        return await original(self, request, *args, **kwargs)

    monkeypatch.setattr(SubgraphGraphQL, "run", run)
    return runs


def body(query: object, variables: object = None, **extra: object) -> bytes:
    return orjson.dumps({"query": query, "variables": variables, **extra})


async def product_ids(subgraph: Subgraph, count: int) -> list[str]:
    staff = {**JSON, "authorization": f"Bearer {subgraph.staff_token}"}
    ids = []
    for number in range(count):
        fields = {"name": f"Thing {number}", "description": "A thing.", "price": "10.00"}
        created = await call(subgraph.app, body(CREATE, {"input": {**fields, "stock": 3}}), staff)
        ids.append(created.json()["data"]["createProduct"]["product"]["id"])
    return ids


async def both(subgraph: Subgraph, payload: bytes, headers: dict[str, str]) -> Answer:
    """The app's answer, asserted equal to the Strawberry view's in every byte."""
    headers = {"x-request-id": "req-1", **headers}
    through_app = await call(subgraph.app, payload, headers)
    through_view = await call(subgraph.view, payload, headers)
    assert through_app == through_view
    return through_app


async def test_the_common_post_skips_strawberrys_http_layer_and_answers_as_it_would(
    subgraph: Subgraph, strawberry_runs: list[str]
) -> None:
    answer = await call(subgraph.app, body("{ __typename }"), {**JSON, "x-request-id": "req-7"})

    assert strawberry_runs == []
    assert answer == Answer(
        200,
        [
            (b"content-length", b"31"),
            (b"content-type", b"application/json"),
            (b"x-request-id", b"req-7"),
        ],
        b'{"data":{"__typename":"Query"}}',
    )
    made = await call(subgraph.app, body("{ __typename }"), JSON)
    assert len(dict(made.headers)[b"x-request-id"]) == 32  # made when not given


@pytest.mark.parametrize(
    ("payload", "content_type", "status"),
    [
        (body("{ __typename }"), "application/json", 200),
        (body("{ __typename }"), "application/json; charset=utf-8", 200),
        (body("query Q { __typename }", {}, operationName="Q"), "application/json", 200),
        (body("query A { __typename } query B { a: __typename }"), "application/json", 200),
        (body("{ __typename }", operationName="Nope"), "application/json", 400),
        (body("{"), "application/json", 400),
        (body("{ nope }"), "application/json", 400),
        (
            body("query Q($n: Int!) { products(first: $n) { totalCount } }"),
            JSON["content-type"],
            400,
        ),
        (
            body("query Q($n: Int!) { products(first: $n) { totalCount } }", {"n": "x"}),
            JSON["content-type"],
            400,
        ),
        (body("{ products(first: 2) { totalCount } }"), "application/json", 200),
        (body(DEEP), "application/json", 400),
        (
            body(CREATE, {"input": {"name": "x", "description": "", "price": "1", "stock": 1}}),
            "application/json",
            200,
        ),
        (body("subscription { __typename }"), "application/json", 400),
    ],
)
async def test_operations_answer_as_strawberry_does(
    subgraph: Subgraph,
    strawberry_runs: list[str],
    payload: bytes,
    content_type: str,
    status: int,
) -> None:
    answer = await both(subgraph, payload, {"content-type": content_type})

    assert answer.status == status, answer.body
    assert strawberry_runs == ["POST"]  # once, from the direct call to the view


async def test_callers_are_read_as_the_view_reads_them(
    subgraph: Subgraph, strawberry_runs: list[str]
) -> None:
    [product] = await product_ids(subgraph, 1)
    strawberry_runs.clear()
    entities = body(ENTITIES, {"representations": [{"__typename": "Product", "id": product}]})
    customer = f"Bearer {subgraph.customer_token}"

    served = await both(subgraph, entities, {**JSON, SERVICE_HEADER: SERVICE_TOKEN})
    bearer = await both(subgraph, body("{ __typename }"), {**JSON, "authorization": customer})
    expired = await both(subgraph, entities, {**JSON, "authorization": customer + "x"})
    basic = await both(subgraph, body("{"), {**JSON, "authorization": "Basic dXNlcjpwdw=="})
    # The caller is read before the body, as the view does: a bad token wins over bad JSON.
    unread = await both(subgraph, b"{not json", {**JSON, "authorization": "Bearer nope"})

    assert served.json() == {"data": {"_entities": [{"id": product, "name": "Thing 0"}]}}
    assert bearer.status == 200
    for refused, reason in [
        (expired, "the access token is invalid or expired"),
        (basic, "the Authorization header must be 'Bearer <access token>'"),
        (unread, "the access token is invalid or expired"),
    ]:
        assert refused.status == 401
        assert dict(refused.headers)[b"www-authenticate"] == b'Bearer error="invalid_token"'
        assert refused.json() == {
            "errors": [{"message": reason, "extensions": {"code": "UNAUTHENTICATED"}}]
        }
    assert strawberry_runs == ["POST"] * 5  # the direct calls only


@pytest.mark.parametrize(
    ("payload", "headers", "status"),
    [
        # A batch: batching is off in the view, so Strawberry refuses it.
        (b"[" + body("{ __typename }") + b"," + body("{ a: __typename }") + b"]", JSON, 400),
        (b"{not json", JSON, 400),
        (body(["{ __typename }"]), JSON, 400),
        (body(None), JSON, 400),
        (body("{ __typename }", ["not", "an", "object"]), JSON, 400),
        (body("{ __typename }", extensions="x"), JSON, 400),
        (body("{ __typename }"), {"content-type": "text/plain"}, 400),
        (body("{ __typename }"), {"content-type": "Application/JSON"}, 400),
        (body("{ __typename }"), {}, 400),
    ],
)
async def test_everything_else_goes_to_strawberry_unchanged(
    subgraph: Subgraph,
    strawberry_runs: list[str],
    payload: bytes,
    headers: dict[str, str],
    status: int,
) -> None:
    answer = await both(subgraph, payload, headers)

    assert answer.status == status, answer.body
    assert strawberry_runs == ["POST", "POST"]  # through the app, then directly


@pytest.mark.parametrize("payload", [b'"{ __typename }"', b"3", b"null", b"true"])
async def test_a_body_that_is_not_an_object_is_a_bad_request(
    subgraph: Subgraph, payload: bytes
) -> None:
    answer = await both(subgraph, payload, JSON)

    assert answer.status == 400
    assert answer.json() == {
        "errors": [
            {
                "message": "The request body must be a JSON object.",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]
    }


async def test_a_get_is_strawberrys(subgraph: Subgraph, strawberry_runs: list[str]) -> None:
    answer = await call(subgraph.app, b"", {"accept": "text/html"}, method="GET")

    assert answer.status == 200
    assert b"graphiql" in answer.body.lower()
    assert strawberry_runs == ["GET"]


async def test_the_body_limit_still_applies_to_a_body_sent_in_pieces(
    subgraph: Subgraph, strawberry_runs: list[str]
) -> None:
    padded = body("{ __typename }", {"pad": "x" * 5000})

    answer = await call(subgraph.app, padded, JSON, chunks=4)  # no content-length

    assert answer.status == 413
    assert answer.json()["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}
    assert strawberry_runs == []


async def test_a_mounted_subgraph_is_served_at_its_own_graphql(
    subgraph: Subgraph, strawberry_runs: list[str]
) -> None:
    mounted = await call(subgraph.app, body("{ __typename }"), JSON, root_path="/subgraphs/x")

    assert mounted.json() == {"data": {"__typename": "Query"}}
    assert strawberry_runs == []
