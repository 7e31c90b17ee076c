"""GraphQL over HTTP on the router: methods, media types and status codes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from router.config import RouterConfig
from router.gateway import Planner
from router.http import create_router_app
from router.planning.plan import QueryPlan
from tests.graphql import serve
from tests.router.execution.fakes import answer, entities, fixed_plan, slow, subgraphs
from tests.router.execution.shop import SDL, fetch

MODERN = "application/graphql-response+json"
LEGACY = "application/json"
# A GET needs a header no page can add without a preflight (CSRF prevention).
GET_HEADERS = {"accept": MODERN, "apollo-require-preflight": "true"}


@asynccontextmanager
async def router(planner: Planner | None = None, **config: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with subgraphs(
        users=answer({"me": {"name": "Ada"}}),
        products=answer({"topProducts": [{"name": "Table"}]}),
        reviews=answer({"addReview": {"id": "r1"}}),
    ) as fakes:
        urls = {name: fake.url for name, fake in fakes.items()}
        app = create_router_app(
            SDL,
            RouterConfig(subgraph_urls=urls, **config),
            planner=planner or fixed_plan(QueryPlan(fetch("users", "{ me { name } }"))),
        )
        async with serve(app) as client:
            yield client


async def post(
    client: httpx.AsyncClient, body: Any, accept: str | None = MODERN, **headers: str
) -> httpx.Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    sent = {"content-type": "application/json", **headers}
    if accept is not None:
        sent["accept"] = accept
    return await client.post("/graphql", content=content, headers=sent)


async def test_a_query_answers_in_the_media_type_the_client_prefers() -> None:
    async with router() as client:
        modern = await post(client, {"query": "{ me { name } }"}, f"{MODERN}, {LEGACY};q=0.9")
        legacy = await post(client, {"query": "{ me { name } }"}, f"{MODERN};q=0.5, {LEGACY}")
        missing = await post(client, {"query": "{ me { name } }"}, None)
        anything = await post(client, {"query": "{ me { name } }"}, "*/*")

    for response in (modern, legacy, missing, anything):
        assert response.status_code == 200
        assert response.json() == {"data": {"me": {"name": "Ada"}}}
    assert modern.headers["content-type"] == f"{MODERN}; charset=utf-8"
    for response in (legacy, missing, anything):
        assert response.headers["content-type"] == f"{LEGACY}; charset=utf-8"


async def test_an_unacceptable_accept_header_is_406() -> None:
    async with router() as client:
        response = await post(client, {"query": "{ me { name } }"}, "text/plain")

    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


REQUEST_ERRORS = [
    (
        {"query": "{ me { name }"},
        "GRAPHQL_PARSE_FAILED",
        "Syntax Error: Expected Name, found <EOF>.",
    ),
    (
        {"query": "{ me { zzz } }"},
        "GRAPHQL_VALIDATION_FAILED",
        "Cannot query field 'zzz' on type 'User'.",
    ),
    (
        {"query": "query A { me { name } } query B { me { id } }"},
        "OPERATION_RESOLUTION_FAILURE",
        "Must provide operation name if query contains multiple operations.",
    ),
    (
        {"query": "query A { me { name } }", "operationName": "B"},
        "OPERATION_RESOLUTION_FAILURE",
        "Unknown operation named 'B'.",
    ),
    (
        {"query": "query($n: Int!) { topProducts(first: $n) { name } }", "variables": {"n": "x"}},
        "BAD_USER_INPUT",
        "Variable '$n' has invalid value: Int cannot represent non-integer value: 'x'",
    ),
    (
        {"query": "query($n: Int!) { topProducts(first: $n) { name } }"},
        "BAD_USER_INPUT",
        "Variable '$n' has invalid value: Expected a value of non-null type 'Int!' to be provided.",
    ),
]


@pytest.mark.parametrize(("body", "code", "message"), REQUEST_ERRORS)
async def test_request_errors_are_400_in_the_new_media_type_and_200_in_json(
    body: dict[str, Any], code: str, message: str
) -> None:
    async with router() as client:
        modern = await post(client, body, MODERN)
        legacy = await post(client, body, LEGACY)

    assert modern.status_code == 400
    assert modern.headers["content-type"] == f"{MODERN}; charset=utf-8"
    assert legacy.status_code == 200
    for response in (modern, legacy):
        payload = response.json()
        assert "data" not in payload
        assert payload["errors"][0]["message"] == message
        assert payload["errors"][0]["extensions"]["code"] == code


MALFORMED = [
    b"NONSENSE",
    b'{"query":',
    b'["{ me { name } }"]',
    b'{"qeury": "{ me { name } }"}',
    b'{"query": 1}',
    b'{"query": "{ me { name } }", "variables": [7]}',
    b'{"query": "{ me { name } }", "operationName": 3}',
    b"",
]


@pytest.mark.parametrize("body", MALFORMED)
@pytest.mark.parametrize("accept", [MODERN, LEGACY])
async def test_requests_that_are_not_graphql_over_http_are_400(body: bytes, accept: str) -> None:
    async with router() as client:
        response = await post(client, body, accept)

    assert response.status_code == 400
    payload = response.json()
    assert "data" not in payload
    assert payload["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_get_runs_queries_with_json_encoded_variables() -> None:
    params = {
        "query": "query($n: Int) { topProducts(first: $n) { name } }",
        "variables": '{"n": 2}',
        "operationName": "",
    }
    plan = QueryPlan(fetch("products", "{ topProducts { name } }"))
    async with router(fixed_plan(plan)) as client:
        response = await client.get("/graphql", params=params, headers=GET_HEADERS)

    assert response.status_code == 200
    assert response.json() == {"data": {"topProducts": [{"name": "Table"}]}}


async def test_get_refuses_mutations_with_405_and_allow_post() -> None:
    query = 'mutation { addReview(upc: "1", body: "x") { id } }'
    async with router() as client:
        for accept in (MODERN, LEGACY):
            response = await client.get(
                "/graphql", params={"query": query}, headers={**GET_HEADERS, "accept": accept}
            )
            assert response.status_code == 405
            assert response.headers["allow"] == "POST"
            assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_post_runs_mutations() -> None:
    plan = QueryPlan(
        fetch("reviews", 'mutation { addReview(upc: "1", body: "x") { id } }', kind="mutation")
    )
    async with router(fixed_plan(plan)) as client:
        response = await post(
            client, {"query": 'mutation { addReview(upc: "1", body: "x") { id } }'}
        )

    assert response.status_code == 200
    assert response.json() == {"data": {"addReview": {"id": "r1"}}}


async def test_get_without_a_query_is_400_and_other_methods_405() -> None:
    async with router() as client:
        missing = await client.get("/graphql", headers=GET_HEADERS)
        bad_variables = await client.get(
            "/graphql",
            params={"query": "{ me { name } }", "variables": "[1]"},
            headers=GET_HEADERS,
        )
        put = await client.put("/graphql", content=b"{}")

    assert missing.status_code == 400
    assert bad_variables.status_code == 400
    assert put.status_code == 405


async def test_bodies_over_the_limit_are_413_whether_declared_or_streamed() -> None:
    big = {"query": "{ me { name } }", "variables": {"pad": "x" * 2000}}

    async def chunks() -> AsyncIterator[bytes]:
        data = orjson.dumps(big)
        for start in range(0, len(data), 500):
            yield data[start : start + 500]

    async with router(max_body_bytes=1000) as client:
        declared = await post(client, big)
        streamed = await client.post(
            "/graphql",
            content=chunks(),
            headers={"content-type": "application/json", "accept": MODERN},
        )
        small = await post(client, {"query": "{ me { name } }"})

    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert declared.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert small.status_code == 200


async def test_post_bodies_must_be_json() -> None:
    async with router() as client:
        text = await client.post(
            "/graphql", content=b"{ me { name } }", headers={"content-type": "application/graphql"}
        )
        latin = await client.post(
            "/graphql",
            content=b'{"query": "{ me { name } }"}',
            headers={"content-type": "application/json; charset=latin-1"},
        )
        utf8 = await client.post(
            "/graphql",
            content=b'{"query": "{ me { name } }"}',
            headers={"content-type": "application/json; charset=UTF-8"},
        )

    assert text.status_code == 415
    assert latin.status_code == 415
    assert utf8.status_code == 200


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{" + " a {" * 7 + " b" + " }" * 8, "MAX_DEPTH_EXCEEDED"),
        ("{ " + " ".join(f"a{i}: __typename" for i in range(6)) + " }", "MAX_ALIASES_EXCEEDED"),
        ("{ " + "__typename " * 200 + "}", "GRAPHQL_PARSE_FAILED"),
        (
            "query { ...F } fragment F on Query { a: __typename b: __typename ...G } "
            "fragment G on Query { c: __typename d: __typename e: __typename f: __typename }",
            "MAX_ALIASES_EXCEEDED",
        ),
    ],
)
async def test_documents_past_the_limits_are_refused_before_validation(
    query: str, code: str
) -> None:
    async with router(max_depth=5, max_aliases=5, max_tokens=100) as client:
        response = await post(client, {"query": query})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == code


async def test_partial_data_with_errors_is_200_in_both_media_types() -> None:
    plan = QueryPlan(fetch("users", "{ me { name } }"))
    async with subgraphs(users=slow(1.0, answer({"me": {"name": "late"}}))) as fakes:
        app = create_router_app(
            SDL,
            RouterConfig(subgraph_urls={"users": fakes["users"].url}, default_timeout=0.2),
            planner=fixed_plan(plan),
        )
        async with serve(app) as client:
            modern = await post(client, {"query": "{ me { name } }"}, MODERN)
            legacy = await post(client, {"query": "{ me { name } }"}, LEGACY)

    for response in (modern, legacy):
        assert response.status_code == 200
        assert response.json() == {
            "errors": [
                {
                    "message": "Fetch from subgraph 'users' failed: no answer within 0.2 s.",
                    "path": ["me"],
                    "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": "users"},
                }
            ],
            "data": {"me": None},
        }


async def test_a_planning_failure_is_a_clean_500_without_a_traceback() -> None:
    def broken(*_: Any) -> QueryPlan:
        raise RuntimeError("planner bug with secret internals")

    async with router(broken) as client:
        response = await post(client, {"query": "{ me { name } }"})

    assert response.status_code == 500
    error = response.json()["errors"][0]
    assert error["message"] == "The router could not plan this operation."
    assert error["extensions"]["code"] == "QUERY_PLANNING_FAILED"
    assert len(error["extensions"]["requestId"]) == 32
    assert "secret" not in response.text
    assert "Traceback" not in response.text


async def test_an_execution_bug_is_a_clean_500_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_: Any) -> None:
        raise KeyError("secret internals")

    monkeypatch.setattr("router.gateway.ResponseShaper.shape", broken)
    async with router() as client:
        response = await post(client, {"query": "{ me { name } }"}, LEGACY)

    assert response.status_code == 500
    error = response.json()["errors"][0]
    assert error["message"] == "The router failed to execute the operation."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret" not in response.text


async def test_health_and_readiness_follow_the_lifespan() -> None:
    app = create_router_app(SDL, RouterConfig())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        before = await client.get("/readyz")
        assert before.status_code == 503
        async with app.router.lifespan_context(app):
            health = await client.get("/healthz")
            ready = await client.get("/readyz")
        after = await client.get("/readyz")

    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}
    assert after.status_code == 503


async def test_the_real_planner_serves_an_entity_jump_end_to_end() -> None:
    products = answer({"topProducts": [{"name": "Table", "__typename": "Product", "upc": "1"}]})
    reviews = entities(lambda r: {"reviews": [{"body": f"on {r['upc']}"}]})
    async with subgraphs(products=products, reviews=reviews) as fakes:
        urls = {name: fake.url for name, fake in fakes.items()}
        app = create_router_app(SDL, RouterConfig(subgraph_urls=urls))
        async with serve(app) as client:
            response = await post(client, {"query": "{ topProducts { name reviews { body } } }"})

    assert response.status_code == 200
    assert response.json() == {
        "data": {"topProducts": [{"name": "Table", "reviews": [{"body": "on 1"}]}]}
    }
    assert fakes["reviews"].received[0].representations == [{"__typename": "Product", "upc": "1"}]


async def test_a_bad_bearer_token_is_401_unauthenticated_in_both_media_types() -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    expired = jwt.encode({"sub": "u1", "exp": int(time.time()) - 60}, key, algorithm="EdDSA")
    async with router(jwt_public_key=pem) as client:
        modern = await post(
            client, {"query": "{ me { name } }"}, MODERN, authorization=f"Bearer {expired}"
        )
        legacy = await post(
            client, {"query": "{ me { name } }"}, LEGACY, authorization="Bearer forged"
        )
        anonymous = await post(client, {"query": "{ me { name } }"}, MODERN)

    assert (modern.status_code, legacy.status_code, anonymous.status_code) == (401, 401, 200)
    assert modern.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert modern.json() == {
        "errors": [
            {
                "message": "The bearer token has expired; sign in again.",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }
    assert legacy.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
