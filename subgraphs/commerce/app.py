"""The commerce subgraph as an ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.commerce.schema import CommerceLoaders, make_loaders, schema
from subgraphs.commerce.services import (
    NAME,
    CommerceServices,
    check_ready,
    open_services,
    require_service_token,
)
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.platform.app import PlatformOpener, SubgraphSpec, create_subgraph_app
from subgraphs.platform.resources import open_platform
from subgraphs.platform.settings import Settings

SPEC: SubgraphSpec[CommerceServices, CommerceLoaders, CommerceSettings] = SubgraphSpec(
    name=NAME,
    schema=schema,
    open_services=open_services,
    make_loaders=make_loaders,
    check_ready=check_ready,
)


def create_app(
    settings: Settings,
    platform_opener: PlatformOpener = open_platform,
    commerce: CommerceSettings | None = None,
) -> Starlette:
    """`commerce` overrides the subgraph's own settings (tests, `shopgraph dev`'s catalog
    address); by default they are read from the environment."""
    require_service_token(settings)
    return create_subgraph_app(SPEC, settings, platform_opener, commerce)
