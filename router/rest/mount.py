"""The router's REST routes and `/openapi.json`, when `rest_config` is set.

Everything is built when the app is: a mapping that names a missing
document, or a document the supergraph cannot run, stops the router at start.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from router.config import RouterConfig
from router.reload import LiveGateway
from router.rest.endpoints import rest_routes
from router.rest.mapping import RestConfigError, load_rest_config
from router.rest.openapi import openapi_document


def rest_routes_for(config: RouterConfig, live: LiveGateway) -> list[Route]:
    if config.rest_config is None:
        return []
    if config.trusted_documents_manifest is None:
        raise RestConfigError("REST routes run trusted documents: set the manifest too")
    rest = load_rest_config(config.rest_config, config.trusted_documents_manifest)
    # Built from the supergraph served at start; a hot reload keeps this document.
    document = openapi_document(rest, live.current.supergraph.api_schema)

    async def openapi(_: Request) -> Response:
        return JSONResponse(document)

    return [*rest_routes(rest, lambda _: live.current), Route("/openapi.json", openapi)]
