"""The storefront single-page app, served from a directory next to `/graphql`.

The storefront has no build step: `index.html`, native ES modules and their
vendored libraries (see `shopgraph/storefront/THIRD_PARTY.txt`) are served as
they are. Every page of the app has its own URL (History API), listed once in the
directory's `pages.json`: each of those paths answers with `index.html`, so a
reload or a deep link works, and any other path is a 404. Every
response carries a strict Content-Security-Policy: scripts and styles only from
this origin, no inline code, connections only back to this origin (fetch and
the graphql-ws WebSocket).

The app runs operations by trusted document id only; `/storefront/operations.json`
gives it the ids (and, for the subscription, whose graphql-ws payload needs a
`query`, the text) of the manifest's `storefront` client.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from router.operation.trusted import named_documents

STOREFRONT_CLIENT = "storefront"
GZIP_MIN_BYTES = 1024  # smaller files gain less than the header costs
ASSETS_PREFIX = "/storefront"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
PAGES_FILE = "pages.json"
"""The app's own URLs, `[{"path": "/product/{id}", "page": "product"}, ...]`: each answers
with index.html, where the app's router (`app.js`, which imports the same file) takes over."""


def page_paths(directory: Path) -> tuple[str, ...]:
    """The page paths of the storefront in `directory`, in its pages.json's order."""
    source = directory / PAGES_FILE
    try:
        pages = json.loads(source.read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"{source}: not a storefront page list ({error})") from error
    entries = pages if isinstance(pages, list) else [None]
    paths = [entry.get("path") if isinstance(entry, dict) else None for entry in entries]
    if not all(isinstance(path, str) and path.startswith("/") for path in paths):
        raise ValueError(f'{source}: expected a list of {{"path": "/...", "page": NAME}}')
    return tuple(str(path) for path in paths)


class _SecureStatic(StaticFiles):
    """Static files with the storefront's security headers."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_secured(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))  # type: ignore[call-overload]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, send_secured)  # type: ignore[arg-type]


def storefront_operations(manifest: Path | None) -> dict[str, dict[str, str]]:
    """Operation name -> {id, query} for the storefront client's trusted documents."""
    if manifest is None:
        return {}
    operations = {}
    for name, body in named_documents(manifest).items():
        client, _, operation = name.partition("/")
        if client == STOREFRONT_CLIENT:
            digest = hashlib.sha256(body.encode()).hexdigest()
            operations[operation] = {"id": f"sha256:{digest}", "query": body}
    return operations


async def storefront_page(_: Request, directory: Path) -> Response:
    """The app's one HTML page."""
    return FileResponse(directory / "index.html", headers=SECURITY_HEADERS)


def storefront_routes(directory: Path, manifest: Path | None) -> list[BaseRoute]:
    """index.html at every page path, the assets under /storefront, the operation ids."""
    operations = storefront_operations(manifest)

    async def page(request: Request) -> Response:
        return await storefront_page(request, directory)

    async def operation_ids(_: Request) -> Response:
        return JSONResponse(operations, headers=SECURITY_HEADERS)

    routes: list[BaseRoute] = [
        Route(path, page, methods=["GET", "HEAD"]) for path in page_paths(directory)
    ]
    # The assets go compressed to clients that accept it: the first load's budget
    # (300 KB transferred) counts compressed bytes, and the modules shrink ~3x.
    assets = Router(
        [
            Route("/operations.json", operation_ids),
            Mount("", app=_SecureStatic(directory=directory)),
        ]
    )
    routes.append(
        Mount(
            ASSETS_PREFIX,
            app=GZipMiddleware(assets, minimum_size=GZIP_MIN_BYTES),
            name="storefront",
        )
    )
    return routes
