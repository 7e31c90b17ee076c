"""The insights subgraph as an ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.insights.schema import InsightsLoaders, make_loaders, schema
from subgraphs.insights.services import NAME, InsightsServices, check_ready, open_services
from subgraphs.insights.settings import InsightsSettings
from subgraphs.platform.app import PlatformOpener, SubgraphSpec, create_subgraph_app
from subgraphs.platform.resources import open_platform
from subgraphs.platform.settings import Settings

SPEC: SubgraphSpec[InsightsServices, InsightsLoaders, InsightsSettings] = SubgraphSpec(
    name=NAME,
    schema=schema,
    open_services=open_services,
    make_loaders=make_loaders,
    check_ready=check_ready,
)


def create_app(
    settings: Settings,
    platform_opener: PlatformOpener = open_platform,
    insights: InsightsSettings | None = None,
) -> Starlette:
    """`insights` overrides the subgraph's own settings (tests); by default they are read
    from the environment."""
    return create_subgraph_app(SPEC, settings, platform_opener, insights)
