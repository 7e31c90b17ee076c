"""REST routes on the router: they run trusted documents by id (so they work under
`enforce`), serve /openapi.json, and refuse a mapping that names a missing document."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from openapi_spec_validator import validate

from router.rest import RestConfigError, load_rest_config
from tests.router.http.test_http_graphql import router

QUERY = "query Me { me { name } }"


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.json"
    digest = hashlib.sha256(QUERY.encode()).hexdigest()
    document = {"id": f"sha256:{digest}", "hash": digest, "client": {"name": "web", "version": "1"}}
    path.write_bytes(orjson.dumps({"documents": [{**document, "name": "Me", "body": QUERY}]}))
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


def test_a_mapping_to_a_missing_document_is_refused(manifest: Path, tmp_path: Path) -> None:
    rest = tmp_path / "rest.yaml"
    rest.write_text("routes:\n  - {method: GET, path: /api/you, document: web/You}\n")
    with pytest.raises(
        RestConfigError, match="route 1: no trusted document 'web/You' in the manifest"
    ):
        load_rest_config(rest, manifest)
