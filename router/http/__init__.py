"""The HTTP stage: GraphQL over HTTP for the router, plus GraphiQL and health probes."""

from router.http.app import create_router_app

__all__ = ["create_router_app"]
