"""`shopgraph registry serve` on SQLite and PostgreSQL: token-protected publish that composes
and checks, the latest supergraph with an ETag, versions, diff and check; and the CLI
reading it with `--registry URL`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from shopgraph.cli import app
from shopgraph.loopback import free_port, served
from shopgraph.schema_registry.server import RegistryConfig, create_registry_app
from subgraphs.platform.settings import Settings
from tests.graphql import serve

TOKEN = "registry-token-for-tests"
AUTH = {"authorization": f"Bearer {TOKEN}"}
FED = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'
A1 = FED + "type Query { a: Int hello: String }\n"
A2 = FED + "type Query { a: Int hello: String b: Int }\n"
A3 = FED + "type Query { a: Int b: Int }\n"
URLS = {"a": "http://127.0.0.1:5501/graphql"}
HELLO = "query Hello { hello }\n"


@pytest.fixture
def operations(tmp_path: Path) -> Path:
    folder = tmp_path / "operations" / "web"
    folder.mkdir(parents=True)
    (folder / "Hello.graphql").write_text("query Hello { hello }\n")
    return folder.parent


@pytest.fixture
async def registry(settings: Settings, operations: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_registry_app(settings, RegistryConfig(TOKEN, operations))) as client:
        yield client


async def test_publish_needs_the_token(registry: httpx.AsyncClient) -> None:
    body = {"subgraphs": {"a": A1}, "urls": URLS}
    missing = await registry.post("/v1/subgraphs", json=body)
    wrong = await registry.post("/v1/subgraphs", json=body, headers={"authorization": "Bearer no"})
    assert [r.status_code for r in (missing, wrong)] == [401, 401]
    assert (await registry.get("/v1/versions")).json() == []


async def test_publish_then_read_with_etag_versions_and_diff(registry: httpx.AsyncClient) -> None:
    assert (await registry.get("/v1/supergraph")).status_code == 404
    first = await registry.post(
        "/v1/subgraphs", json={"subgraphs": {"a": A1}, "urls": URLS}, headers=AUTH
    )
    assert (first.status_code, first.json()["version"], first.json()["outcome"]) == (
        201,
        1,
        "published",
    )
    again = await registry.post("/v1/subgraphs/a", json={"sdl": A1}, headers=AUTH)
    assert (again.status_code, again.json()) == (200, {"version": 1, "outcome": "unchanged"})

    latest = await registry.get("/v1/supergraph")
    assert latest.status_code == 200
    assert "hello: String" in latest.text
    etag = latest.headers["etag"]
    not_modified = await registry.get("/v1/supergraph", headers={"if-none-match": etag})
    assert (not_modified.status_code, not_modified.text) == (304, "")

    second = await registry.post("/v1/subgraphs/a", json={"sdl": A2}, headers=AUTH)
    assert second.status_code == 201
    assert [
        (c["criticality"], c["code"], c["coordinate"]) for c in second.json()["report"]["changes"]
    ] == [("SAFE", "FIELD_ADDED", "Query.b")]
    changed = await registry.get("/v1/supergraph", headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    versions = (await registry.get("/v1/versions")).json()
    assert [(v["version"], v["changedSubgraphs"], v["changes"], v["forced"]) for v in versions] == [
        (1, ["a"], 0, False),
        (2, ["a"], 1, False),
    ]
    diff = (await registry.get("/v1/diff", params={"from": 1, "to": 2})).json()
    assert diff == {
        "from": 1,
        "to": 2,
        "changes": [
            {
                "criticality": "SAFE",
                "code": "FIELD_ADDED",
                "coordinate": "Query.b",
                "message": "Field Query.b was added",
            }
        ],
    }
    schemas = (await registry.get("/v1/schemas")).json()
    assert (schemas["version"], schemas["subgraphs"]) == (2, {"a": A2})


async def test_a_breaking_change_a_trusted_document_uses_is_refused_unless_forced(
    registry: httpx.AsyncClient,
) -> None:
    await registry.post("/v1/subgraphs", json={"subgraphs": {"a": A1}, "urls": URLS}, headers=AUTH)
    checked = (await registry.post("/v1/check", json={"subgraphs": {"a": A3}})).json()
    assert checked["passed"] is False
    refused = await registry.post("/v1/subgraphs/a", json={"sdl": A3}, headers=AUTH)
    assert refused.status_code == 422
    report = refused.json()["report"]
    assert [
        (c["code"], c["coordinate"], c["affectedOperations"])
        for c in report["changes"]
        if c["fails"]
    ] == [
        (
            "FIELD_REMOVED",
            "Query.hello",
            [{"client": "web", "operation": "Hello", "source": "trusted document"}],
        )
    ]
    assert len((await registry.get("/v1/versions")).json()) == 1
    forced = await registry.post("/v1/subgraphs/a", json={"sdl": A3, "force": True}, headers=AUTH)
    assert forced.status_code == 201
    assert (await registry.get("/v1/versions")).json()[-1]["forced"] is True


async def test_a_publish_that_does_not_compose_is_refused_even_forced(
    registry: httpx.AsyncClient,
) -> None:
    await registry.post("/v1/subgraphs", json={"subgraphs": {"a": A1}, "urls": URLS}, headers=AUTH)
    broken = FED + 'type Query { a: Int } type T @key(fields: "nope") { id: ID }'
    refused = await registry.post(
        "/v1/subgraphs/a", json={"sdl": broken, "force": True}, headers=AUTH
    )
    assert refused.status_code == 422
    assert [
        (e["code"], e["coordinate"]) for e in refused.json()["report"]["compositionErrors"]
    ] == [("KEY_INVALID_FIELDS", "T")]
    unknown = await registry.post("/v1/subgraphs/zzz", json={"sdl": A1}, headers=AUTH)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "BAD_REQUEST")
    assert len((await registry.get("/v1/versions")).json()) == 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_cli_checks_and_publishes_against_the_service(
    settings: Settings, operations: Path, tmp_path: Path
) -> None:
    port = free_port()
    async with served(
        create_registry_app(settings, RegistryConfig(TOKEN, operations)), port
    ) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            await client.post(
                "/v1/subgraphs", json={"subgraphs": {"a": A1}, "urls": URLS}, headers=AUTH
            )
        proposed = tmp_path / "a.graphql"
        proposed.write_text(A3)
        runner = CliRunner()
        args = [
            "--registry",
            url,
            "--subgraph",
            "a",
            "--sdl",
            str(proposed),
            "--operations",
            str(operations),
        ]
        check = await asyncio.to_thread(runner.invoke, app, ["schema", "check", *args])
        assert check.exit_code == 1
        assert "FAIL BREAKING FIELD_REMOVED at Query.hello" in check.output
        proposed.write_text(A2)
        publish = await asyncio.to_thread(
            runner.invoke,
            app,
            ["schema", "publish", *args],
            env={"SHOPGRAPH_REGISTRY_TOKEN": TOKEN},
        )
        assert publish.exit_code == 0, publish.output
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/v1/schemas")).json()["subgraphs"] == {"a": A2}


def test_serve_refuses_a_short_token() -> None:
    result = CliRunner().invoke(app, ["registry", "serve", "--token", "short"])
    assert result.exit_code == 2
    assert "at least 16 characters" in result.output


def test_serve_refuses_files_it_cannot_import(tmp_path: Path) -> None:
    bad = tmp_path / "approvals.yaml"
    bad.write_text("- coordinate: Query.hello\n")
    serve = ["registry", "serve", "--token", TOKEN, "--port", "1"]
    results = [
        CliRunner().invoke(app, [*serve, *args])
        for args in (
            ["--approvals", str(bad)],
            ["--approvals", str(tmp_path / "none.yaml")],
            ["--operations", str(tmp_path / "none")],
        )
    ]

    def squeezed(text: str) -> str:  # rich wraps the message in a box, at any character
        return "".join(text.replace("│", "").split())

    assert [r.exit_code for r in results] == [2, 2, 2]
    messages = [
        f"{bad}:1: approval 1 needs the strings coordinate, reason and approved_by",
        f"no approvals file at {tmp_path / 'none.yaml'}",
        f"no trusted documents folder at {tmp_path / 'none'}",
    ]
    for result, message in zip(results, messages, strict=True):
        assert squeezed(f"Invalid value: {message}") in squeezed(result.output)


async def test_concurrent_publishes_each_build_on_the_one_before(
    registry: httpx.AsyncClient,
) -> None:
    await registry.post("/v1/subgraphs", json={"subgraphs": {"a": A1}, "urls": URLS}, headers=AUTH)
    b = FED + "type Query { c: Int }\n"
    first, second = await asyncio.gather(
        registry.post("/v1/subgraphs/a", json={"sdl": A2}, headers=AUTH),
        registry.post(
            "/v1/subgraphs/b", json={"sdl": b, "url": "http://127.0.0.1:5502/graphql"}, headers=AUTH
        ),
    )
    assert sorted([first.json()["version"], second.json()["version"]]) == [2, 3]
    assert (await registry.get("/v1/schemas")).json()["subgraphs"] == {"a": A2, "b": b}


async def test_trusted_documents_and_approvals_live_in_the_registry_database(
    settings: Settings,
) -> None:
    manifest = {
        "format": "graphql-trusted-documents",
        "version": 1,
        "documents": [{"client": {"name": "web", "version": "2"}, "name": "Hello", "body": HELLO}],
    }
    approval = {"coordinate": "Query.hello", "reason": "web 3 reads a", "approved_by": "maria"}
    async with serve(create_registry_app(settings, RegistryConfig(TOKEN))) as registry:
        await registry.post(
            "/v1/subgraphs", json={"subgraphs": {"a": A1}, "urls": URLS}, headers=AUTH
        )
        unauthorized = await registry.post("/v1/documents", json=manifest)
        added = await registry.post("/v1/documents", json=manifest, headers=AUTH)
        again = await registry.post("/v1/documents", json=manifest, headers=AUTH)
        listed = (await registry.get("/v1/documents")).json()
    # Another registry process on the same database: the documents are there.
    async with serve(create_registry_app(settings, RegistryConfig(TOKEN))) as registry:
        refused = await registry.post("/v1/subgraphs/a", json={"sdl": A3}, headers=AUTH)
        approved = await registry.post("/v1/approvals", json=approval, headers=AUTH)
        approvals = (await registry.get("/v1/approvals")).json()
        published = await registry.post("/v1/subgraphs/a", json={"sdl": A3}, headers=AUTH)

    assert unauthorized.status_code == 401
    assert (added.json(), again.json()) == (
        {"added": 1, "documents": 1},
        {"added": 0, "documents": 1},
    )
    assert [(d["client"], d["name"], d["body"]) for d in listed["documents"]] == [
        ({"name": "web", "version": "2"}, "Hello", HELLO)
    ]
    assert refused.status_code == 422
    [failing] = [c for c in refused.json()["report"]["changes"] if c["fails"]]
    assert failing["affectedOperations"] == [
        {"client": "web", "operation": "Hello", "source": "trusted document"}
    ]
    assert approved.status_code == 201
    assert approvals == [{**approval, "code": None}]
    assert published.status_code == 201
    [removed] = [c for c in published.json()["report"]["changes"] if c["code"] == "FIELD_REMOVED"]
    assert (removed["coordinate"], removed["fails"], removed["approval"]) == (
        "Query.hello",
        False,
        {"reason": "web 3 reads a", "approvedBy": "maria"},
    )


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ([], "the body must be a JSON object"),
        ({"documents": "Hello.graphql"}, "expected an object with a 'documents' list"),
        ({"documents": [{"body": HELLO}]}, "document 1 needs 'body' and 'client'"),
        (
            {"documents": [{"body": HELLO, "client": {"name": "web"}, "hash": "0" * 64}]},
            "document 1: 'hash' is not the SHA-256 of its body",
        ),
    ],
)
async def test_a_malformed_manifest_is_refused(
    settings: Settings, manifest: object, message: str
) -> None:
    async with serve(create_registry_app(settings, RegistryConfig(TOKEN))) as registry:
        response = await registry.post("/v1/documents", json=manifest, headers=AUTH)
        listed = (await registry.get("/v1/documents")).json()

    assert (response.status_code, response.json()["error"]["message"]) == (400, message)
    assert listed["documents"] == []


async def test_a_malformed_sdl_is_refused_with_its_line_and_column(
    registry: httpx.AsyncClient,
) -> None:
    await registry.post("/v1/subgraphs", json={"subgraphs": {"a": A1}, "urls": URLS}, headers=AUTH)
    malformed = FED + "type Query {\n  a: Int\n  b(: Int\n}\n"
    refused = await registry.post(
        "/v1/subgraphs/a", json={"sdl": malformed, "force": True}, headers=AUTH
    )
    unknown_type = await registry.post(
        "/v1/subgraphs/a", json={"sdl": FED + "type Query {\n  a: Slug\n}\n"}, headers=AUTH
    )
    checked = await registry.post("/v1/check", json={"subgraphs": {"a": malformed}})
    no_version = await registry.get("/v1/diff", params={"from": 1, "to": 9})
    not_numbers = await registry.get("/v1/diff", params={"from": "one", "to": 2})

    assert refused.status_code == 422
    assert refused.json()["report"]["sdlErrors"] == [
        {
            "subgraph": "a",
            "message": "Syntax Error: Expected Name, found ':'.",
            "line": 4,
            "column": 5,
        }
    ]
    assert unknown_type.status_code == 422
    assert [
        (e["code"], e["message"], e["line"], e["column"])
        for e in unknown_type.json()["report"]["compositionErrors"]
    ] == [("INVALID_GRAPHQL", "[a] Unknown type 'Slug'.", 3, 6)]
    assert (checked.status_code, checked.json()["passed"]) == (200, False)
    assert [(r.status_code, r.json()["error"]["code"]) for r in (no_version, not_numbers)] == [
        (404, "NOT_FOUND"),
        (400, "BAD_REQUEST"),
    ]
    assert [v["version"] for v in (await registry.get("/v1/versions")).json()] == [1]


async def test_an_approval_with_an_unknown_change_code_is_refused(
    registry: httpx.AsyncClient,
) -> None:
    approval = {"coordinate": "Query.hello", "reason": "gone", "approved_by": "maria"}
    refused = await registry.post(
        "/v1/approvals", json={**approval, "code": "FIELD_REMOVD"}, headers=AUTH
    )
    accepted = await registry.post(
        "/v1/approvals", json={**approval, "code": "FIELD_REMOVED"}, headers=AUTH
    )
    assert (refused.status_code, refused.json()["error"]["message"]) == (
        400,
        "'code' must be a change code, such as FIELD_REMOVED, or absent: 'FIELD_REMOVD'",
    )
    assert accepted.status_code == 201
    assert (await registry.get("/v1/approvals")).json() == [{**approval, "code": "FIELD_REMOVED"}]
