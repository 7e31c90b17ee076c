"""`shopgraph registry serve`: the schema registry as an HTTP service for teams.

    GET  /v1/schemas                 latest subgraphs and supergraph (what `check --registry` reads)
    GET  /v1/supergraph              latest supergraph SDL, with an ETag (304 on If-None-Match)
    POST /v1/subgraphs               publish {"subgraphs": {NAME: SDL}, "urls"?, "force"?} (token)
    POST /v1/subgraphs/{name}        publish one subgraph {"sdl", "url"?, "force"?} (token)
    POST /v1/check                   check {"subgraphs": {NAME: SDL}} without publishing
    GET  /v1/versions                every version, oldest first
    GET  /v1/diff?from=A&to=B        classified changes between two versions
    GET  /v1/documents               the trusted documents, as a Trusted Documents manifest
    POST /v1/documents               add a manifest's documents (token)
    GET  /v1/approvals               approved breaking changes
    POST /v1/approvals               approve {coordinate, reason, approved_by, code?} (token)

Publishing composes the proposal with the latest version and checks it like
`shopgraph schema check`, against the trusted documents and approvals held in
the registry's database (`guards`); it is refused (422)
with every error unless forced, and a proposal that does not compose is
always refused. Publishes are serialized, across processes too (see
`VersionStore.publishing`).
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shopgraph.schema_registry.approvals import Approval, load_approvals
from shopgraph.schema_registry.changes import ChangeCode
from shopgraph.schema_registry.check import CheckRequest, run_check
from shopgraph.schema_registry.compare import compare_supergraphs
from shopgraph.schema_registry.guards import GuardStore, ManifestInvalid, documents_from_manifest
from shopgraph.schema_registry.operations import TrustedDocument, build_manifest, load_documents
from shopgraph.schema_registry.report import as_json
from shopgraph.schema_registry.source import published_urls
from shopgraph.schema_registry.store import PublishedSchemas
from shopgraph.schema_registry.versions import SchemaVersion, VersionStore
from subgraphs.platform.database import Database
from subgraphs.platform.migrations import upgrade
from subgraphs.platform.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
Protected = tuple[tuple[TrustedDocument, ...], tuple[Approval, ...]]


@dataclass(frozen=True)
class RegistryConfig:
    token: str
    # Imported into the database at start (what was there stays): an operations
    # folder (`CLIENT/*.graphql`) and an approvals.yaml.
    operations: Path | None = None
    approvals: Path | None = None


class BadRequest(Exception):
    pass


def _error(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "code": code}}, status)


def _change_json(change: Any) -> dict[str, Any]:
    return {
        "criticality": change.criticality.value,
        "code": change.code.value,
        "coordinate": change.coordinate,
        "message": change.message,
    }


def _approval(payload: dict[str, Any]) -> Approval:
    fields = ("coordinate", "reason", "approved_by")
    if not all(isinstance(payload.get(f), str) and payload[f].strip() for f in fields):
        raise BadRequest("an approval needs the strings coordinate, reason and approved_by")
    code = payload.get("code")
    if code is not None and code not in ChangeCode.__members__:
        # A misspelt code would approve nothing, silently.
        raise BadRequest(
            f"'code' must be a change code, such as FIELD_REMOVED, or absent: {code!r}"
        )
    return Approval(payload["coordinate"], payload["reason"], payload["approved_by"], code)


def _approval_json(approval: Approval) -> dict[str, Any]:
    return {
        "coordinate": approval.coordinate,
        "code": approval.code,
        "reason": approval.reason,
        "approved_by": approval.approved_by,
    }


def create_registry_app(settings: Settings, config: RegistryConfig) -> Starlette:
    database = Database(settings, "registry")
    store = VersionStore(database)
    guards = GuardStore(database)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await upgrade(database, MIGRATIONS)
        if config.operations is not None:
            await guards.add_documents(load_documents(config.operations))
        if config.approvals is not None:
            await guards.add_approvals(load_approvals(config.approvals))
        try:
            yield
        finally:
            await database.close()

    def published(latest: SchemaVersion | None) -> PublishedSchemas:
        return (
            PublishedSchemas(latest.subgraphs, latest.supergraph)
            if latest
            else PublishedSchemas({}, None)
        )

    async def protected() -> Protected:
        """What the checks protect; read before a publish's transaction, which on SQLite
        holds the database's one write lock that every session would wait for."""
        return await guards.documents(), await guards.approvals()

    def check_request(
        base: PublishedSchemas,
        subgraphs: dict[str, str],
        urls: dict[str, str],
        guarded: Protected,
    ) -> CheckRequest:
        known = {**published_urls(base), **urls}
        proposed = {**base.subgraphs, **subgraphs}
        unknown = sorted(set(proposed) - set(known))
        if unknown:
            raise BadRequest(f"unknown subgraph(s) {', '.join(unknown)}: send their url")
        documents, approvals = guarded
        return CheckRequest(base, proposed, known, documents, approvals)

    async def body_of(request: Request) -> dict[str, Any]:
        try:
            payload = orjson.loads(await request.body())
        except orjson.JSONDecodeError as error:
            raise BadRequest(f"the body is not JSON: {error.msg}") from error
        if not isinstance(payload, dict):
            raise BadRequest("the body must be a JSON object")
        return payload

    def strings(value: Any, name: str) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise BadRequest(f"'{name}' must map subgraph names to strings")
        return dict(value)

    def authorized(request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.encode(), config.token.encode()
        )

    async def schemas(_: Request) -> Response:
        latest = await store.latest()
        return JSONResponse(
            {
                "version": latest.id if latest else None,
                "subgraphs": latest.subgraphs if latest else {},
                "supergraph": latest.supergraph if latest else None,
            }
        )

    async def supergraph(request: Request) -> Response:
        latest = await store.latest()
        if latest is None:
            return _error(404, "nothing is published yet", "NOT_FOUND")
        etag = f'"{latest.etag}"'
        headers = {"etag": etag, "x-schema-version": str(latest.id), "cache-control": "no-cache"}
        if etag in (t.strip() for t in request.headers.get("if-none-match", "").split(",")):
            return Response(status_code=304, headers=headers)
        return Response(latest.supergraph, media_type="text/plain; charset=utf-8", headers=headers)

    async def publish(request: Request) -> Response:
        if not authorized(request):
            return _error(401, "publishing needs the registry token", "UNAUTHENTICATED")
        try:
            payload = await body_of(request)
            name = request.path_params.get("name")
            if name is not None:
                if not isinstance(payload.get("sdl"), str):
                    raise BadRequest("the body needs 'sdl', a string")
                subgraphs = {name: payload["sdl"]}
                urls = {name: payload["url"]} if isinstance(payload.get("url"), str) else {}
            else:
                subgraphs = strings(payload.get("subgraphs"), "subgraphs")
                urls = strings(payload.get("urls"), "urls")
            force = payload.get("force") is True
            guarded = await protected()
            async with store.publishing() as transaction:
                latest = await transaction.latest()
                base = published(latest)
                check = check_request(base, subgraphs, urls, guarded)
                if latest is not None and dict(check.proposed) == latest.subgraphs:
                    return JSONResponse({"version": latest.id, "outcome": "unchanged"})
                report = run_check(check)
                if report.supergraph is None or (not report.passed and not force):
                    return JSONResponse({"outcome": "refused", "report": as_json(report)}, 422)
                changes = [_change_json(c.change) for c in report.changes]
                version = await transaction.add(
                    dict(check.proposed),
                    report.supergraph,
                    list(report.changed),
                    changes,
                    forced=not report.passed,
                )
        except BadRequest as error:
            return _error(400, str(error), "BAD_REQUEST")
        return JSONResponse(
            {"version": version, "outcome": "published", "report": as_json(report)}, 201
        )

    async def check(request: Request) -> Response:
        try:
            payload = await body_of(request)
            subgraphs = strings(payload.get("subgraphs"), "subgraphs")
            base = published(await store.latest())
            urls = strings(payload.get("urls"), "urls")
            report = run_check(check_request(base, subgraphs, urls, await protected()))
        except BadRequest as error:
            return _error(400, str(error), "BAD_REQUEST")
        return JSONResponse(as_json(report))

    async def versions(_: Request) -> Response:
        return JSONResponse([v.summary() for v in await store.all()])

    async def diff(request: Request) -> Response:
        try:
            first, second = int(request.query_params["from"]), int(request.query_params["to"])
        except (KeyError, ValueError):
            return _error(400, "diff needs the integer versions 'from' and 'to'", "BAD_REQUEST")
        old, new = await store.get(first), await store.get(second)
        if old is None or new is None:
            return _error(404, "no such version", "NOT_FOUND")
        changes = compare_supergraphs(old.supergraph, new.supergraph)
        return JSONResponse(
            {"from": first, "to": second, "changes": [_change_json(c) for c in changes]}
        )

    async def documents(_: Request) -> Response:
        return JSONResponse(build_manifest(list(await guards.documents())))

    async def add_documents(request: Request) -> Response:
        if not authorized(request):
            return _error(
                401, "adding trusted documents needs the registry token", "UNAUTHENTICATED"
            )
        try:
            given = documents_from_manifest(await body_of(request))
        except (BadRequest, ManifestInvalid) as error:
            return _error(400, str(error), "BAD_REQUEST")
        added = await guards.add_documents(given)
        return JSONResponse({"added": added, "documents": len(await guards.documents())})

    async def approvals(_: Request) -> Response:
        held = await guards.approvals()
        return JSONResponse([_approval_json(approval) for approval in held])

    async def approve(request: Request) -> Response:
        if not authorized(request):
            return _error(401, "approving needs the registry token", "UNAUTHENTICATED")
        try:
            approval = _approval(await body_of(request))
        except BadRequest as error:
            return _error(400, str(error), "BAD_REQUEST")
        added = await guards.add_approvals([approval])
        return JSONResponse({"added": added, **_approval_json(approval)}, 201 if added else 200)

    routes = [
        Route("/v1/schemas", schemas),
        Route("/v1/supergraph", supergraph),
        Route("/v1/subgraphs", publish, methods=["POST"]),
        Route("/v1/subgraphs/{name}", publish, methods=["POST"]),
        Route("/v1/check", check, methods=["POST"]),
        Route("/v1/versions", versions),
        Route("/v1/diff", diff),
        Route("/v1/documents", documents),
        Route("/v1/documents", add_documents, methods=["POST"]),
        Route("/v1/approvals", approvals),
        Route("/v1/approvals", approve, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
