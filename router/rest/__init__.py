"""REST over trusted documents: paths from `rest.yaml`, each running one document."""

from router.rest.endpoints import rest_routes
from router.rest.mapping import RestConfig, RestConfigError, RestRoute, load_rest_config
from router.rest.mount import rest_routes_for

__all__ = [
    "RestConfig",
    "RestConfigError",
    "RestRoute",
    "load_rest_config",
    "rest_routes",
    "rest_routes_for",
]
