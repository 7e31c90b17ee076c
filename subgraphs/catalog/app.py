"""The catalog subgraph as an ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.catalog.schema import CatalogLoaders, make_loaders, schema
from subgraphs.catalog.services import NAME, CatalogServices, check_ready, open_services
from subgraphs.catalog.settings import CatalogSettings
from subgraphs.platform.app import PlatformOpener, SubgraphSpec, create_subgraph_app
from subgraphs.platform.resources import open_platform
from subgraphs.platform.settings import Settings

SPEC: SubgraphSpec[CatalogServices, CatalogLoaders, CatalogSettings] = SubgraphSpec(
    name=NAME,
    schema=schema,
    open_services=open_services,
    make_loaders=make_loaders,
    check_ready=check_ready,
)


def create_app(
    settings: Settings,
    platform_opener: PlatformOpener = open_platform,
    catalog: CatalogSettings | None = None,
) -> Starlette:
    """`catalog` overrides the subgraph's own settings (tests, benches); by default they
    are read from the environment."""
    return create_subgraph_app(SPEC, settings, platform_opener, catalog)
