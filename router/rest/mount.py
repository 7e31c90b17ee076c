"""The router's REST routes and `/openapi.json`, when `rest_config` is set.

The mapping is read when the app is built: one that names a missing
document, or a document the supergraph cannot run, stops the router at start.
Each REST request holds the gateway it runs on, as a GraphQL request does, so
a hot reload or a shutdown drains it. `/openapi.json` follows the supergraph
served now: it is generated again the first time it is asked for after a
reload.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from router.config import RouterConfig
from router.http.forwarding import Forwarding
from router.reload import LiveGateway
from router.rest.endpoints import rest_routes
from router.rest.mapping import RestConfig, RestConfigError, load_rest_config
from router.rest.openapi import openapi_document
from router.supergraph import Supergraph


class OpenApiDocument:
    """The OpenAPI document of the REST routes for the supergraph `live` serves now."""

    def __init__(self, rest: RestConfig, live: LiveGateway) -> None:
        self.rest, self.live = rest, live
        self._built: tuple[Supergraph, dict[str, Any]] | None = None
        self.current()  # a mapping the supergraph cannot run fails at start

    def current(self) -> dict[str, Any]:
        supergraph = self.live.current.supergraph
        if self._built is None or self._built[0] is not supergraph:
            self._built = (supergraph, openapi_document(self.rest, supergraph.api_schema))
        return self._built[1]

    async def endpoint(self, _: Request) -> Response:
        return JSONResponse(self.current())


def rest_routes_for(config: RouterConfig, live: LiveGateway, forwarding: Forwarding) -> list[Route]:
    if config.rest_config is None:
        return []
    if config.trusted_documents_manifest is None:
        raise RestConfigError("REST routes run trusted documents: set the manifest too")
    rest = load_rest_config(config.rest_config, config.trusted_documents_manifest)
    openapi = OpenApiDocument(rest, live)
    routes = rest_routes(rest, live.serving, forwarding.headers)
    return [*routes, Route("/openapi.json", openapi.endpoint)]
