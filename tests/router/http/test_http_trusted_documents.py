"""Trusted documents on the router: off, allow and enforce, by documentId or APQ hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest

from router.operation.trusted import ManifestError, read_manifest
from tests.router.http.test_http_graphql import LEGACY, post, router

QUERY = "{ me { name } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()
ME = {"data": {"me": {"name": "Ada"}}}


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.json"
    document = {"id": f"sha256:{HASH}", "hash": HASH, "client": {"name": "web", "version": "1"}}
    path.write_bytes(orjson.dumps({"documents": [{**document, "name": "Me", "body": QUERY}]}))
    return path


def not_allowed(message: str) -> dict[str, object]:
    return {"errors": [{"message": message, "extensions": {"code": "PERSISTED_QUERY_NOT_ALLOWED"}}]}


async def test_enforce_runs_trusted_ids_and_refuses_everything_else(manifest: Path) -> None:
    async with router(trusted_documents="enforce", trusted_documents_manifest=manifest) as client:
        by_id = await post(client, {"documentId": f"sha256:{HASH}"})
        by_apq = await post(
            client, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": HASH}}}
        )
        by_get = await client.get(  # the header a browser cannot send without a preflight (CSRF)
            "/graphql",
            params={"documentId": f"sha256:{HASH}"},
            headers={"apollo-require-preflight": "true"},
        )
        text = await post(client, {"query": QUERY})
        unknown = await post(client, {"documentId": "sha256:" + "0" * 64})
        legacy = await post(client, {"query": QUERY}, LEGACY)

    assert [r.status_code for r in (by_id, by_apq, by_get)] == [200, 200, 200]
    assert [r.json() for r in (by_id, by_apq, by_get)] == [ME, ME, ME]
    assert (text.status_code, text.json()) == (
        400,
        not_allowed("Only trusted documents may be run: send a documentId."),
    )
    assert (unknown.status_code, unknown.json()) == (
        400,
        not_allowed(f"No trusted document has the id {'0' * 64}."),
    )
    assert legacy.status_code == 200  # application/json keeps request errors at 200
    assert legacy.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"


async def test_allow_runs_trusted_ids_and_any_document(manifest: Path) -> None:
    async with router(trusted_documents="allow", trusted_documents_manifest=manifest) as client:
        by_id = await post(client, {"documentId": HASH})
        text = await post(client, {"query": QUERY})
        unknown = await post(client, {"documentId": "sha256:" + "1" * 64})

    assert [(r.status_code, r.json()) for r in (by_id, text)] == [(200, ME), (200, ME)]
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_off_ignores_ids(manifest: Path) -> None:
    async with router(trusted_documents="off", trusted_documents_manifest=manifest) as client:
        text = await post(client, {"query": QUERY})
        by_id = await post(client, {"documentId": HASH})

    assert (text.status_code, text.json()) == (200, ME)
    assert by_id.status_code == 400
    assert by_id.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def test_the_key_value_manifest_format_and_bad_manifests(tmp_path: Path) -> None:
    plain = tmp_path / "plain.json"
    plain.write_bytes(orjson.dumps({f"sha256:{HASH}": QUERY}))
    assert read_manifest(plain) == {HASH: QUERY}
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2]")
    with pytest.raises(ManifestError, match="is not a trusted documents manifest"):
        read_manifest(broken)
