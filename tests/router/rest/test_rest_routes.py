"""REST routes on the router: they run trusted documents by id (so they work under
`enforce`), serve /openapi.json, and refuse a mapping that names a missing document."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from openapi_spec_validator import validate

from router.rest import RestConfigError, load_rest_config
from tests.router.execution.fakes import Answer, Handler, answer
from tests.router.execution.shop import SDL
from tests.router.http.test_http_graphql import router
from tests.router.test_reload import router as reloading_router

QUERY = "query Me { me { name } }"
REVIEW = (
    "mutation AddReview($upc: String!, $body: String!) { addReview(upc: $upc, body: $body) { id } }"
)
# The next supergraph: users' `User.name` becomes nullable (the REST answer's schema changes).
SDL_NULLABLE_NAME = SDL.replace(
    "  name: String! @join__field(graph: USERS)\n", "  name: String @join__field(graph: USERS)\n"
)


def entry(name: str, body: str) -> dict[str, Any]:
    digest = hashlib.sha256(body.encode()).hexdigest()
    client = {"name": "web", "version": "1"}
    return {"id": f"sha256:{digest}", "hash": digest, "client": client, "name": name, "body": body}


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.json"
    documents = [entry("Me", QUERY), entry("AddReview", REVIEW)]
    path.write_bytes(orjson.dumps({"documents": documents}))
    return path


@pytest.fixture
def rest(tmp_path: Path) -> Path:
    path = tmp_path / "rest.yaml"
    path.write_text("routes:\n  - {method: GET, path: /api/me, document: web/Me}\n")
    return path


async def test_a_route_runs_its_trusted_document_under_enforce(manifest: Path, rest: Path) -> None:
    settings: dict[str, Any] = {"trusted_documents_manifest": manifest, "rest_config": rest}
    async with router(trusted_documents="enforce", **settings) as client:
        me = await client.get("/api/me")
        openapi = await client.get("/openapi.json")
        refused = await client.post("/graphql", json={"query": QUERY})

    assert (me.status_code, me.json()) == (200, {"name": "Ada"})
    validate(openapi.json())
    assert openapi.json()["paths"]["/api/me"]["get"]["responses"]["200"]["content"] == {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
            }
        }
    }
    assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"


ME_ROUTE = "  - {method: GET, path: /api/me, document: web/Me}\n"


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (
            "  - {method: GET, path: /api/you, document: web/You}\n",
            "route 2: no trusted document 'web/You' in the manifest",
        ),
        (
            "  - {method: FETCH, path: /api/me, document: web/Me}\n",
            "route 2: method must be one of ['DELETE', 'GET', 'PATCH', 'POST', 'PUT']",
        ),
        ("  - {method: GET, path: api/me, document: web/Me}\n", "route 2: path must start with /"),
        (
            '  - {method: GET, path: "/api/users/{id}", document: web/Me}\n',
            "route 2: web/Me declares no variable $id",
        ),
        (
            "  - {method: GET, path: /api/me, document: web/Me, query: {who: user.name}}\n",
            "route 2: web/Me declares no variable $user",
        ),
        (
            '  - method: POST\n    path: "/api/products/{upc}/reviews"\n'
            "    document: web/AddReview\n    body: input\n",
            "route 2: web/AddReview declares no variable $input",
        ),
        (
            "  - {method: GET, path: /api/me, document: web/Me, status: created}\n",
            "route 2: status must be an HTTP status, such as 201",
        ),
    ],
)
def test_a_mapping_that_cannot_work_is_refused_at_its_line(
    manifest: Path, tmp_path: Path, route: str, message: str
) -> None:
    rest = tmp_path / "rest.yaml"
    rest.write_text(f"# the seed's API\nroutes:\n{ME_ROUTE}{route}")
    with pytest.raises(RestConfigError) as raised:
        load_rest_config(rest, manifest)
    assert str(raised.value) == f"{rest}:4: {message}"


async def test_bad_requests_get_400_with_a_json_body(manifest: Path, tmp_path: Path) -> None:
    rest = tmp_path / "rest.yaml"
    rest.write_text(
        "routes:\n"
        '  - {method: POST, path: "/api/products/{upc}/reviews", document: web/AddReview,'
        " body: variables, status: 201}\n"
    )
    settings: dict[str, Any] = {"trusted_documents_manifest": manifest, "rest_config": rest}
    path = "/api/products/p1/reviews"
    async with router(**settings) as client:
        not_json = await client.post(path, content=b"{body: nice}")
        not_object = await client.post(path, json=["nice"])
        unknown = await client.post(path, params={"stars": "5"}, json={"body": "nice"})
        missing = await client.post(path, json={})

    def answer(response: Any) -> tuple[int, str, list[str]]:
        body = response.json()
        return (
            response.status_code,
            response.headers["content-type"],
            [e["code"] for e in body["errors"]],
        )

    json = "application/json"
    assert [answer(r) for r in (not_json, not_object, unknown)] == [
        (400, json, ["BAD_REQUEST"])
    ] * 3
    assert [r.json()["errors"][0]["message"] for r in (not_json, not_object, unknown)] == [
        "the body is not JSON",
        "the body must be a JSON object",
        "unknown parameter 'stars'",
    ]
    assert (missing.status_code, missing.json()) == (
        400,
        {
            "errors": [
                {
                    "code": "BAD_USER_INPUT",
                    "message": "Variable '$body' has invalid value: Expected a value of "
                    "non-null type 'String!' to be provided.",
                }
            ]
        },
    )


async def test_openapi_follows_a_hot_reload(manifest: Path, rest: Path) -> None:
    async with reloading_router(trusted_documents_manifest=manifest, rest_config=rest) as r:
        before = (await r.client.get("/openapi.json")).json()
        assert (await r.live.swap(SDL_NULLABLE_NAME, "test")).swapped
        after = (await r.client.get("/openapi.json")).json()

    validate(after)
    schema = "paths", "/api/me", "get", "responses", "200", "content", "application/json", "schema"
    assert dig(before, schema) == {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
    }
    assert dig(after, schema) == {
        "type": "object",
        "properties": {"name": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
        "required": ["name"],  # always in the answer, null or not
    }


async def test_rest_requests_running_during_a_reload_finish_on_the_old_supergraph(
    manifest: Path, rest: Path
) -> None:
    reached = asyncio.Event()
    # Each request must reach the subgraph itself, not share another's answer.
    settings: dict[str, Any] = {
        "trusted_documents_manifest": manifest,
        "rest_config": rest,
        "query_deduplication": False,
    }
    async with reloading_router(handler=held_at_the_subgraph(20, reached), **settings) as r:
        first = r.live.current
        running = [asyncio.create_task(r.client.get("/api/me")) for _ in range(20)]
        await asyncio.wait_for(reached.wait(), 10)  # all of them are at the subgraph
        assert (await r.live.swap(SDL_NULLABLE_NAME, "test")).swapped
        answers = await asyncio.gather(*running)
        await r.live.drained()

    assert [(a.status_code, a.json()) for a in answers] == [(200, {"name": "Ada"})] * 20
    assert not first.ready  # closed once its REST requests were done


def held_at_the_subgraph(count: int, reached: asyncio.Event) -> Handler:
    """Answers `me` half a second after arriving; sets `reached` once `count` have arrived."""
    arrived = 0

    async def handle(body: dict[str, Any]) -> Answer:
        nonlocal arrived
        arrived += 1
        if arrived == count:
            reached.set()
        await asyncio.sleep(0.5)
        return answer({"me": {"name": "Ada"}})(body)  # type: ignore[return-value]  # synchronous

    return handle


def dig(document: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        document = document[key]
    return document
